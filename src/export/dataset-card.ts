/**
 * The dataset card (README.md) every export folder gets, so it can be pushed to a Hugging Face hub
 * as is: YAML front matter (license, language, task, size, configs with their splits) and a body
 * saying how the data was made, by which models, for how much, how much was approved, and how
 * the golden set was kept out of train.
 */
import { stringify } from 'yaml';
import type { RunFacts } from './card-facts.js';
import type { ExportedFile } from './registry.js';
import type { ExportCounts } from './types.js';

export interface CardInput {
  name: string;
  format: string;
  split: string;
  language: string;
  files: ExportedFile[];
  counts: ExportCounts;
  runs: RunFacts[];
  createdAt: string;
}

const sizeCategory = (rows: number) =>
  rows < 1_000 ? 'n<1K' : rows < 10_000 ? '1K<n<10K' : rows < 100_000 ? '10K<n<100K' : rows < 1_000_000 ? '100K<n<1M' : 'n>1M';

/** The card's front matter, as an object (the test reads it back with the same yaml library). */
export function cardFrontMatter(input: CardInput): Record<string, unknown> {
  const file = (role: string) => input.files.find((entry) => entry.role === role)?.name;
  const dataFiles = [
    ...(file('train') ? [{ split: 'train', path: file('train') }] : []),
    ...(file('golden') ? [{ split: 'test', path: file('golden') }] : []),
  ];
  const configs = [
    ...(dataFiles.length ? [{ config_name: 'default', data_files: dataFiles }] : []),
    ...(file('preference') ? [{ config_name: 'preference', data_files: [{ split: 'train', path: file('preference') }] }] : []),
  ];
  return {
    pretty_name: input.name,
    license: 'other',
    language: [input.language],
    task_categories: ['text-generation', 'question-answering'],
    size_categories: [sizeCategory(input.counts.train + input.counts.golden + input.counts.preference)],
    tags: ['synthetic', 'distillery', input.format],
    configs,
  };
}

export function datasetCard(input: CardInput): string {
  const { counts } = input;
  const money = (value: number) => `$${value.toFixed(value < 1 ? 4 : 2)}`;
  const percent = (value: number | undefined) => (value === undefined ? 'not recorded' : `${(value * 100).toFixed(1)}%`);
  const lines = [
    '---',
    stringify(cardFrontMatter(input)).trimEnd(),
    '---',
    '',
    `# ${input.name}`,
    '',
    `Synthetic fine-tuning data made with Distillery on ${input.createdAt.slice(0, 10)}, exported as \`${input.format}\` (split \`${input.split}\`):`,
    `${counts.train} train samples, ${counts.golden} golden (held-out test) samples${counts.preference ? `, ${counts.preference} preference pairs` : ''}.`,
    'The license is `other` until you set it: the answers were written by the models below, whose terms apply.',
    '',
    '## How it was made',
    '',
    ...input.runs.flatMap((run) => [
      `### Run ${run.id} (${run.kind})`,
      '',
      `- Made from: ${run.source}`,
      `- Cost: ${money(run.cost_usd)}`,
      `- Approval rate (judged samples approved): ${percent(run.approval_rate)}`,
      `- Models per stage: ${Object.entries(run.models).map(([stage, models]) => `${stage}: ${models.join(', ')}`).join('; ') || 'none recorded'}`,
      '',
    ]),
    `Total cost: ${money(input.runs.reduce((sum, run) => sum + run.cost_usd, 0))}.`,
    '',
    '## Golden-set leakage check',
    '',
    'Every train (and preference) question was compared with every held-out golden question by exact Jaccard similarity over word shingles;',
    `${counts.golden_overlap_dropped} at 0.7 or above were dropped from train, so train holds no near-duplicate of a golden question.`,
    `Review decisions: ${counts.removed_by_review} removed, ${counts.added_by_review} added, ${counts.edited} edited. Near-duplicates across runs dropped: ${counts.cross_run_duplicates}.`,
    '',
    '## Files',
    '',
    ...input.files.map((file) => `- \`${file.name}\` (${file.role}${file.role === 'train' || file.role === 'golden' || file.role === 'preference' ? `, ${file.rows} rows` : ''}), sha256 \`${file.sha256}\``),
    '',
  ];
  return lines.join('\n');
}
