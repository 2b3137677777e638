/**
 * export_dataset's engine. Samples stream from the runs' files through the human decisions, the
 * held-out golden check and cross-run near-duplicate removal into temporary files; every file is
 * read back and checked against its consumer's rules, and only then renamed into place.
 */
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import { NearDuplicateIndex } from '../pipelines/dedup.js';
import type { RunRecord } from '../store/catalog.js';
import { readJsonl } from '../store/jsonl.js';
import { dataEntry, preferenceEntry, type DatasetInfoEntry } from './dataset-info.js';
import { finish } from './finish.js';
import { formatPreference, formatSample, isUsable, preferenceStyle, readPreferencePair, rowStyle, type ExportFormat, type FormatOptions, type RowStyle } from './formats.js';
import { HeldOutSet } from './held-out.js';
import { checkExportName, prepareExportDir } from './paths.js';
import { openRunSource, splitSamples, type RunSource, type SourceCounts } from './sources.js';
import type { ExportCounts, ExportRequest, ExportResult, Planned, Role } from './types.js';
import { canonicalPreferenceCheck, canonicalRowCheck, entryRowCheck, openaiDpoRowCheck, openaiRowCheck, type RowCheck } from './validators.js';
import { ExportFileWriter } from './writer.js';

export type { ExportCounts, ExportRequest, ExportResult } from './types.js';

export async function exportDataset(app: App, request: ExportRequest, roots: string[]): Promise<ExportResult> {
  const runs = resolveRuns(app, request.run_ids);
  const sources = runs.map((run) => openRunSource(app.services, run));
  const name = checkExportName(request.name ?? defaultName(runs, request));
  const dir = await prepareExportDir(app.config.home, roots, name, request.path);
  const style = rowStyle(request.format, request.llama_factory_style);
  const options: FormatOptions = { reasoning: request.reasoning ?? 'omit', ...(request.system_prompt?.trim() ? { system: request.system_prompt } : {}) };
  const counts: ExportCounts = { train: 0, golden: 0, preference: 0, removed_by_review: 0, added_by_review: 0, edited: 0, below_min_score: 0, cross_run_duplicates: 0, golden_overlap_dropped: 0, skipped_empty: 0, by_run: runs.map((run) => ({ run_id: run.id, train: 0, golden: 0, preference: 0 })) };
  const notes = runs.filter((run) => run.status === 'running').map((run) => `Run ${run.id} is still running: this export holds what it had written so far.`);
  const notHeldOut = sources.filter((source) => source.files.golden && !source.files.goldenHeldOut).map((source) => source.run.id);
  if (request.split === 'all' && notHeldOut.length > 0 && notHeldOut.length < sources.length) notes.push(`The approved output of ${notHeldOut.join(', ')} (golden_dataset.jsonl, not a held-out set) went to train.`);
  const planned: Planned[] = [];
  const plan = async (role: Role) => {
    const rules = rowRules(request.format, role === 'preference' ? 'preference' : style, `${role}.jsonl`, Boolean(options.system));
    const file = { role, writer: await ExportFileWriter.create(path.join(dir, `${role}.jsonl`), rules.check), ...rules };
    planned.push(file);
    return file;
  };
  try {
    const golden = request.split === 'train' ? undefined : await plan('golden');
    const heldOut = request.split === 'golden' ? undefined : new HeldOutSet();
    const goldenSeen = runs.length > 1 ? new NearDuplicateIndex() : undefined;
    for (const [position, source] of sources.entries()) {
      // With split all, a run whose golden set is not held out (a distillation) goes to train only.
      if (request.split === 'all' && !source.files.goldenHeldOut) continue;
      if (!golden && !source.files.goldenHeldOut) continue;
      for await (const batch of splitSamples(source, 'golden', golden ? counts : scratchCounts(), request.min_score)) {
        for (const sample of batch) {
          if (!golden) {
            heldOut!.add(sample.id, sample.instruction);
            continue;
          }
          if (!isUsable(sample)) { counts.skipped_empty++; continue; }
          // Held out even when dropped as a duplicate of another run's golden sample: it is golden content.
          heldOut?.add(sample.id, sample.instruction);
          if (goldenSeen?.check(sample.id, sample.instruction).duplicate) { counts.cross_run_duplicates++; continue; }
          // The writer only needs awaiting when its buffer is full.
          const flushing = golden.writer.write(formatSample(style, sample, options));
          if (flushing) await flushing;
          counts.by_run[position]!.golden++;
        }
      }
    }
    if (request.split !== 'golden') {
      const train = await plan('train');
      const seen = runs.length > 1 ? new NearDuplicateIndex() : undefined;
      for (const [position, source] of sources.entries()) {
        for await (const batch of splitSamples(source, 'train', counts, request.min_score)) {
          for (const sample of batch) {
            if (!isUsable(sample)) { counts.skipped_empty++; continue; }
            if (heldOut!.size > 0 && heldOut!.find(sample.instruction).duplicate) { counts.golden_overlap_dropped++; continue; }
            if (seen?.check(sample.id, sample.instruction).duplicate) { counts.cross_run_duplicates++; continue; }
            const flushing = train.writer.write(formatSample(style, sample, options));
            if (flushing) await flushing;
            counts.by_run[position]!.train++;
          }
        }
      }
      await exportPreferences(sources, request, options, heldOut!, counts, notes, plan);
    }
    return await finish(app, { dir, name, request, runs, planned, counts, notes, options });
  } catch (error) {
    await Promise.all(planned.map((file) => file.writer.discard()));
    await rmdir(dir).catch(() => undefined); // only when empty: an earlier export there stays
    throw error;
  }
}

async function exportPreferences(sources: RunSource[], request: ExportRequest, options: FormatOptions, heldOut: HeldOutSet, counts: ExportCounts, notes: string[], plan: (role: Role) => Promise<Planned>): Promise<void> {
  let file: Planned | undefined;
  let unsupported = 0;
  for (const [position, source] of sources.entries()) {
    let line = 0;
    for await (const raw of readJsonl<unknown>(source.files.preference && path.join(source.dir, source.files.preference))) {
      line++;
      const style = preferenceStyle(request.format);
      if (!style) { unsupported++; continue; }
      const pair = readPreferencePair(raw, `${source.run.id}-preference-${line}`);
      if (!pair) { counts.skipped_empty++; continue; }
      // A pair shares its sample's id: a person's reject drops it, an edit of the answer becomes its chosen side.
      const overlay = source.overlays.get(pair.id);
      if (overlay?.status === 'rejected') { counts.removed_by_review++; continue; }
      if (overlay?.instruction !== undefined) pair.instruction = overlay.instruction;
      if (overlay?.output !== undefined && overlay.output !== pair.rejected) pair.chosen = overlay.output;
      if (heldOut.size > 0 && heldOut.find(pair.instruction).duplicate) { counts.golden_overlap_dropped++; continue; }
      file ??= await plan('preference');
      await file.writer.write(formatPreference(style, pair, options));
      counts.by_run[position]!.preference++;
    }
  }
  if (unsupported > 0) notes.push(`${unsupported} preference pairs were not exported: ${request.format} has no preference layout. Export as llama-factory (ranking), openai-dpo or jsonl to get them.`);
}

function rowRules(format: ExportFormat, style: RowStyle | 'preference', fileName: string, hasSystem: boolean): { check: RowCheck; rules: string; entry?: DatasetInfoEntry } {
  if (style === 'preference') {
    if (format === 'jsonl') return { check: canonicalPreferenceCheck, rules: 'the canonical preference-pair rules' };
    if (format === 'openai-dpo') return { check: openaiDpoRowCheck, rules: "OpenAI's preference (DPO) fine-tuning rules" };
    const entry = preferenceEntry(fileName, hasSystem);
    return { check: entryRowCheck(entry), rules: "LLaMA-Factory's ranking (preference) rules", entry };
  }
  if (style === 'canonical') return { check: canonicalRowCheck, rules: 'the canonical sample rules' };
  const entry = dataEntry(style, fileName, hasSystem);
  if (format === 'openai' || format === 'openai-dpo') return { check: openaiRowCheck, rules: "OpenAI's chat fine-tuning rules" };
  if (format === 'axolotl') return { check: openaiRowCheck, rules: "axolotl's chat_template (messages) rules" };
  return { check: entryRowCheck(entry), rules: format === 'llama-factory' ? `LLaMA-Factory's ${style} rules` : `the ${style} format's rules`, ...(format === 'llama-factory' ? { entry } : {}) };
}

function resolveRuns(app: App, references: string[] | undefined): RunRecord[] {
  const runs = (references?.length ? references : [undefined]).map((reference) => app.engine.get(reference));
  return runs.filter((run, index) => runs.findIndex((other) => other.id === run.id) === index);
}

function defaultName(runs: RunRecord[], request: ExportRequest): string {
  const label = runs.length === 1 ? runs[0]!.id : `${runs[0]!.id}-and-${runs.length - 1}-more`;
  return `${label}-${request.format}-${request.split}`;
}

function scratchCounts(): SourceCounts {
  return { removed_by_review: 0, added_by_review: 0, edited: 0, below_min_score: 0 };
}
