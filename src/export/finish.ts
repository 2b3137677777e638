/**
 * The end of an export: every file is closed and read back against its rules, dataset_info.json is
 * written and checked against the files, and only then is everything renamed into place, with a
 * manifest (export.json) and a line in the exports index.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import { InputError } from '../errors.js';
import type { RunRecord } from '../store/catalog.js';
import { writeJsonAtomic } from '../store/jsonl.js';
import { writeDatasetCard, writeDatasetInfo, writeTrainingConfigs, type Companion } from './companions.js';
import type { FormatOptions } from './formats.js';
import { manifestName, readManifest, recordExport, type ExportManifest, type ExportedFile } from './registry.js';
import type { ExportCounts, ExportRequest, ExportResult, Planned } from './types.js';
import { defaultBaseModel } from './training-configs.js';
import { checkWrittenFile } from './validators.js';

export interface Finish {
  dir: string;
  name: string;
  request: ExportRequest;
  runs: RunRecord[];
  planned: Planned[];
  counts: ExportCounts;
  notes: string[];
  options: FormatOptions;
}

/** Closes and checks every file, writes dataset_info.json and the manifest, then renames them into place. */
export async function finish(app: App, { dir, name, request, runs, planned, counts, notes, options }: Finish): Promise<ExportResult> {
  const files: ExportedFile[] = [];
  const kept: Planned[] = [];
  for (const file of planned) {
    await file.writer.close();
    const checked = await checkWrittenFile(file.writer.temp, file.writer.written, file.writer.problems, file.rules);
    counts[file.role] = checked.rows;
    if (checked.rows === 0) {
      await file.writer.discard();
      if (file.role === 'golden') notes.push(goldenNote(runs, request.split));
      continue;
    }
    kept.push(file);
    files.push({ name: file.writer.name, path: file.writer.target, role: file.role, ...checked });
  }
  if (counts.train + counts.golden === 0) {
    throw new InputError(
      `Nothing to export from ${runs.map((run) => run.id).join(', ')} (split ${request.split}${request.min_score !== undefined ? `, min_score ${request.min_score}` : ''}): no approved samples` +
        `${counts.removed_by_review ? ` (${counts.removed_by_review} removed by review)` : ''}${counts.golden_overlap_dropped ? ` (${counts.golden_overlap_dropped} overlapped the golden set)` : ''}. ` +
        'Check the runs with review_samples, approve samples there, or lower min_score. Nothing was written.',
      'export_empty',
    );
  }
  const previous = await readManifest(dir);
  const createdAt = new Date().toISOString();
  const companions: Companion[] = [];
  try {
    if (request.format === 'llama-factory') companions.push(await writeDatasetInfo(dir, name, kept));
    companions.push(...(await writeTrainingConfigs(dir, name, request, kept, counts)));
    files.push(...companions.map((companion) => companion.file));
    const card = await writeDatasetCard(app, { dir, name, request, runs, files: [...files], counts, notes, previous, createdAt });
    companions.push(card);
    files.push(card.file);
  } catch (error) {
    await Promise.all(companions.map((companion) => companion.writer.discard()));
    throw error;
  }
  for (const file of kept) await file.writer.commit();
  for (const companion of companions) await companion.writer.commit();
  const manifest: ExportManifest = {
    name,
    dir,
    created_at: createdAt,
    format: request.format,
    split: request.split,
    run_ids: runs.map((run) => run.id),
    options: exportOptions(request, options),
    files,
    counts,
    notes,
  };
  await writeJsonAtomic(path.join(dir, manifestName), manifest);
  // Files an earlier export of the same name wrote and this one did not would be stale.
  for (const old of previous?.files ?? []) if (!files.some((file) => file.name === old.name) && /^[\w.-]+$/.test(old.name)) await rm(path.join(dir, old.name), { force: true });
  await recordExport(app.config.home, manifest);
  return { ...manifest, counts, usage: usageFor(manifest) };
}

function exportOptions(request: ExportRequest, options: FormatOptions): Record<string, unknown> {
  const trains = request.format === 'llama-factory' || request.format === 'axolotl';
  return {
    reasoning: options.reasoning,
    system_prompt: options.system ?? null,
    min_score: request.min_score ?? null,
    ...(request.format === 'llama-factory' ? { llama_factory_style: request.llama_factory_style ?? 'alpaca' } : {}),
    ...(trains ? { base_model: request.base_model ?? defaultBaseModel } : {}),
  };
}

function goldenNote(runs: RunRecord[], split: string): string {
  return split === 'all'
    ? 'No held-out golden file: a distillation\'s golden_dataset.jsonl is its approved output and was exported as train (export split golden to get it as a golden file). Only cascade runs hold out a golden test set.'
    : `No golden samples in ${runs.map((run) => run.id).join(', ')}.`;
}

function usageFor(manifest: ExportManifest): string[] {
  const config = (name: string) => manifest.files.find((file) => file.name === name)?.path;
  if (manifest.format === 'axolotl') return config('axolotl.yaml') ? [`axolotl train ${config('axolotl.yaml')}`] : [];
  if (manifest.format !== 'llama-factory') return manifest.files.map((file) => `${file.role}: ${file.path}`);
  const entry = (role: string) => manifest.files.some((file) => file.role === role) ? `${manifest.name}_${role}` : undefined;
  return [
    ...(config('sft.yaml') ? [`llamafactory-cli train ${config('sft.yaml')}`] : []),
    ...(config('dpo.yaml') ? [`llamafactory-cli train ${config('dpo.yaml')}`] : []),
    `dataset_dir: ${manifest.dir}`,
    ...(entry('train') ? [`dataset: ${entry('train')}`] : []),
    ...(entry('golden') ? [`golden (held out of training, for evaluate_model): ${entry('golden')}`] : []),
    ...(entry('preference') ? [`preference (stage: dpo): dataset: ${entry('preference')}`] : []),
  ];
}
