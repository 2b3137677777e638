/** export_dataset: write runs' approved samples in a trainer's format, checked against its rules before success. */
import { z } from 'zod';
import { exportDataset, type ExportResult } from '../export/export.js';
import { exportFormats } from '../export/formats.js';
import { defaultBaseModel } from '../export/training-configs.js';
import { count } from '../util/format.js';
import { defineTool } from './define.js';

export const exportDatasetInput = z.object({
  run_ids: z.array(z.string().min(1).max(200)).min(1).max(50).optional().describe('Runs to export (ids or readable names), merged with cross-run near-duplicate removal; default: the most recent run.'),
  format: z.enum(exportFormats).optional().describe('jsonl (canonical samples, default), alpaca, sharegpt, openai (chat fine-tuning JSONL), openai-dpo (chat rows plus OpenAI preference rows), llama-factory (data files, dataset_info.json, sft.yaml and dpo.yaml), or axolotl (chat_template rows and axolotl.yaml).'),
  split: z.enum(['train', 'golden', 'all']).optional().describe("train, golden, or all (default): train and a held-out golden file, kept disjoint. A distillation's golden_dataset.jsonl is its approved output: it is train in 'all', and the golden file with split golden."),
  min_score: z.number().min(0).max(10).optional().describe('Export every judged sample scoring at least this instead of only the approved ones; human decisions still win.'),
  reasoning: z.enum(['think', 'omit']).optional().describe('think: put the reasoning before the answer as <think>...</think>; omit (default): the answer alone.'),
  system_prompt: z.string().max(8000).optional().describe('A system prompt added to every row (system field or system message).'),
  llama_factory_style: z.enum(['alpaca', 'sharegpt', 'openai']).optional().describe('Row layout of llama-factory data files (default alpaca).'),
  base_model: z.string().min(1).max(200).regex(/^[\w./:-]+$/, 'a Hugging Face model id or local path such as Qwen/Qwen3-1.7B').optional().describe(`The model the training configs fine-tune (llama-factory, axolotl); default ${defaultBaseModel}.`),
  language: z.string().regex(/^[a-z]{2,3}$/, 'an ISO 639-1 code such as en or de').optional().describe("The data's language for the dataset card (default en)."),
  name: z.string().min(1).max(120).optional().describe('Export name (folder and dataset_info entry prefix); default from the run, format and split. The same name replaces that export.'),
  path: z.string().min(1).max(4096).optional().describe('Folder to write into: inside the allowed roots (a relative path starts at the first root) or DISTILLERY_HOME/exports; default DISTILLERY_HOME/exports/<name>/.'),
});

const fileOutput = z.object({ name: z.string(), path: z.string(), role: z.string(), rows: z.number(), bytes: z.number(), sha256: z.string() });

export const exportDatasetTool = defineTool({
  name: 'export_dataset',
  title: 'Export a dataset',
  description:
    "Writes runs' approved samples (after review_samples decisions) as training files: jsonl (canonical), alpaca, sharegpt, openai (one JSON object " +
    'per line, ready for OpenAI fine-tuning), or llama-factory (data files plus a dataset_info.json registering train, the golden set as its own ' +
    'entry for eval_dataset, and preference pairs with ranking: true, with sft.yaml and dpo.yaml runnable by llamafactory-cli train), openai-dpo, or axolotl ' +
    '(with axolotl.yaml). Every folder gets a dataset card (README.md with Hugging Face front matter). Train never contains a near-duplicate of a held-out golden sample. Every ' +
    'file is read back and checked against its trainer\'s rules before success; returns files, row counts and sha256. Free: local files only.',
  input: exportDatasetInput,
  output: z.object({
    name: z.string(),
    dir: z.string(),
    format: z.string(),
    split: z.string(),
    run_ids: z.array(z.string()),
    files: z.array(fileOutput),
    counts: z.object({
      train: z.number(),
      golden: z.number(),
      preference: z.number(),
      removed_by_review: z.number(),
      added_by_review: z.number(),
      edited: z.number(),
      below_min_score: z.number(),
      cross_run_duplicates: z.number(),
      golden_overlap_dropped: z.number(),
      skipped_empty: z.number(),
      by_run: z.array(z.object({ run_id: z.string(), train: z.number(), golden: z.number(), preference: z.number() })),
    }),
    notes: z.array(z.string()),
    usage: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handle(input, { app, roots }) {
    const result = await exportDataset(app, { ...input, format: input.format ?? 'jsonl', split: input.split ?? 'all' }, await roots());
    return {
      text: describeExport(result),
      structured: { name: result.name, dir: result.dir, format: result.format, split: result.split, run_ids: result.run_ids, files: result.files, counts: result.counts, notes: result.notes, usage: result.usage },
    };
  },
});

export function describeExport(result: ExportResult): string {
  const { counts } = result;
  const parts = [`${count(counts.train, 'train sample')}`, `${count(counts.golden, 'golden sample')}`];
  if (counts.preference) parts.push(count(counts.preference, 'preference pair'));
  const lines = [`Exported ${parts.join(', ')} from ${result.run_ids.join(', ')} as ${result.format} to ${result.dir}:`];
  for (const file of result.files) lines.push(`- ${file.name}: ${describeFile(file)}, sha256 ${file.sha256.slice(0, 16)}…`);
  const effects = [
    counts.removed_by_review && `${counts.removed_by_review} removed by review`,
    counts.added_by_review && `${counts.added_by_review} added by review`,
    counts.edited && `${counts.edited} edited`,
    counts.below_min_score && `${counts.below_min_score} below min_score`,
    counts.cross_run_duplicates && `${counts.cross_run_duplicates} near-duplicates across runs dropped`,
    counts.golden_overlap_dropped && `${counts.golden_overlap_dropped} dropped from train for overlapping the golden set`,
    counts.skipped_empty && `${counts.skipped_empty} skipped for an empty field`,
  ].filter(Boolean);
  if (effects.length) lines.push(`${effects.join('; ')}.`);
  lines.push('Every file was read back and passed its format checks.', ...result.notes);
  if (result.format === 'llama-factory' || result.format === 'axolotl') lines.push(`To train: ${result.usage.join('; ')}.`);
  return lines.join('\n');
}

function describeFile(file: ExportResult['files'][number]): string {
  if (file.role === 'dataset_info') return count(file.rows, 'entry', 'entries');
  if (file.role === 'training_config') return 'training config';
  if (file.role === 'dataset_card') return 'dataset card';
  return count(file.rows, 'row');
}
