/**
 * The end of an export: every file is closed and read back against its rules, dataset_info.json is
 * written and checked against the files, and only then is everything renamed into place, with a
 * manifest (export.json) and a line in the exports index.
 */
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import { InputError } from '../errors.js';
import type { RunRecord } from '../store/catalog.js';
import { writeJsonAtomic } from '../store/jsonl.js';
import { checkDatasetInfo, type DatasetInfo } from './dataset-info.js';
import type { FormatOptions } from './formats.js';
import { manifestName, readManifest, recordExport, type ExportManifest, type ExportedFile } from './registry.js';
import type { ExportCounts, ExportRequest, ExportResult, Planned } from './types.js';
import { checkWrittenFile, ExportCheckError } from './validators.js';
import { ExportFileWriter } from './writer.js';

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
  let info: ExportFileWriter | undefined;
  if (request.format === 'llama-factory') info = await writeDatasetInfo(dir, name, kept, files);
  for (const file of kept) await file.writer.commit();
  await info?.commit();
  const previous = await readManifest(dir);
  const manifest: ExportManifest = {
    name,
    dir,
    created_at: new Date().toISOString(),
    format: request.format,
    split: request.split,
    run_ids: runs.map((run) => run.id),
    options: { reasoning: options.reasoning, system_prompt: options.system ?? null, min_score: request.min_score ?? null, ...(request.format === 'llama-factory' ? { llama_factory_style: request.llama_factory_style ?? 'alpaca' } : {}) },
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

async function writeDatasetInfo(dir: string, name: string, kept: Planned[], files: ExportedFile[]): Promise<ExportFileWriter> {
  const info: DatasetInfo = Object.fromEntries(kept.map((file) => [`${name}_${file.role}`, file.entry!]));
  const problems = checkDatasetInfo(info, kept.map((file) => file.writer.name));
  if (problems.length > 0) throw new ExportCheckError(`dataset_info.json does not match the files: ${problems.join('; ')}. Nothing was exported; this is a bug in Distillery's writer: please report it.`);
  const writer = await ExportFileWriter.create(path.join(dir, 'dataset_info.json'));
  const text = JSON.stringify(info, null, 2) + '\n';
  await writer.writeText(text);
  await writer.close();
  const readBack = await readFile(writer.temp, 'utf8');
  const again = checkDatasetInfo(JSON.parse(readBack) as DatasetInfo, kept.map((file) => file.writer.name));
  if (readBack !== text || again.length > 0) throw new ExportCheckError(`dataset_info.json did not read back as written${again.length ? ` (${again.join('; ')})` : ''}. Nothing was exported; check the disk, then export again.`);
  files.push({ name: 'dataset_info.json', path: writer.target, role: 'dataset_info', rows: Object.keys(info).length, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') });
  return writer;
}

function goldenNote(runs: RunRecord[], split: string): string {
  return split === 'all'
    ? 'No held-out golden file: a distillation\'s golden_dataset.jsonl is its approved output and was exported as train (export split golden to get it as a golden file). Only cascade runs hold out a golden test set.'
    : `No golden samples in ${runs.map((run) => run.id).join(', ')}.`;
}

function usageFor(manifest: ExportManifest): string[] {
  if (manifest.format !== 'llama-factory') return manifest.files.map((file) => `${file.role}: ${file.path}`);
  const entry = (role: string) => manifest.files.some((file) => file.role === role) ? `${manifest.name}_${role}` : undefined;
  return [
    `dataset_dir: ${manifest.dir}`,
    ...(entry('train') ? [`dataset: ${entry('train')}`] : []),
    ...(entry('golden') ? [`eval_dataset: ${entry('golden')}`] : []),
    ...(entry('preference') ? [`preference (stage: dpo): dataset: ${entry('preference')}`] : []),
  ];
}
