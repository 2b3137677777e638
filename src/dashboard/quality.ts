/**
 * The quality figures the dashboard shows beside review_samples' summary: a few example
 * instructions per top rejection reason, the source (chunk text, or topic and subtopic) of each
 * sample on the page, and for ensembles the teachers' agreement distribution. They travel in the
 * `_meta` of review_samples results, beside the score histogram.
 */
import path from 'node:path';
import type { App } from '../app.js';
import type { RunRecord } from '../store/catalog.js';
import type { Sample } from '../pipelines/sample.js';
import { distillFiles, ensembleFiles } from '../pipelines/run-files.js';
import { readLines } from '../review/line-reader.js';
import { reviewStore } from '../review/store.js';
import type { SampleIndex } from '../review/sample-index.js';

export const qualityMetaKey = 'distillery/quality';

export interface QualityExtras {
  run_id: string;
  /** For each of the top reasons: up to two rejected samples with that reason, instruction clipped. */
  rejection_examples: { reason: string; samples: { id: string; instruction: string }[] }[];
  /** Per sample id on the page: the chunk it was written from (distill), or topic / subtopic / task type (cascade). */
  sources: Record<string, string>;
  /** Ensembles only: counts[i] samples whose agreement lies in [i/10, (i+1)/10), 1.0 in the last. */
  agreement: number[] | null;
}

const examplesPerReason = 2;
const reasonsWithExamples = 3;
const clipAt = 600;
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

export async function qualityExtras(app: App, run: RunRecord, reasons: { reason: string }[], sampleIds: string[]): Promise<QualityExtras> {
  const index = await reviewStore(app.services).index(run);
  const dir = app.engine.runDir(run.id);
  return {
    run_id: run.id,
    rejection_examples: await rejectionExamples(index, reasons.slice(0, reasonsWithExamples).map((item) => item.reason)),
    sources: await sampleSources(index, dir, sampleIds),
    agreement: run.kind === 'ensemble' ? await agreementCounts(path.join(dir, ensembleFiles.consensus)) : null,
  };
}

/** The first rejected samples (in file order) whose label is each reason, as the summary counts them. */
async function rejectionExamples(index: SampleIndex, reasons: string[]): Promise<QualityExtras['rejection_examples']> {
  const picked = new Map<string, number[]>(reasons.map((reason) => [reason, []]));
  for (let ordinal = 0; ordinal < index.size; ordinal++) {
    if (index.status[ordinal] !== 1) continue;
    const list = picked.get(index.rejectionLabel(ordinal));
    if (list && list.length < examplesPerReason) list.push(ordinal);
  }
  const result: QualityExtras['rejection_examples'] = [];
  for (const [reason, ordinals] of picked) {
    const records = await index.readMany(ordinals);
    const samples = records.filter((record): record is Sample => record !== undefined).map((record) => ({ id: record.id, instruction: clip(String(record.instruction ?? ''), 160) }));
    result.push({ reason, samples });
  }
  return result;
}

async function sampleSources(index: SampleIndex, dir: string, ids: string[]): Promise<Record<string, string>> {
  const ordinals = ids.map((id) => index.ordinalOf.get(id)).filter((ordinal): ordinal is number => ordinal !== undefined);
  const records = (await index.readMany(ordinals)).filter((record): record is Sample => record !== undefined);
  const wanted = new Set(records.map((record) => record.source?.chunk).filter((chunk): chunk is number => typeof chunk === 'number'));
  const chunks = wanted.size ? await chunkTexts(path.join(dir, distillFiles.chunks), wanted) : new Map<number, string>();
  const sources: Record<string, string> = {};
  for (const record of records) {
    const source = record.source ?? {};
    const chunk = typeof source.chunk === 'number' ? chunks.get(source.chunk) : undefined;
    const labels = [source.topic, source.subtopic, source.task_type].filter((part): part is string => typeof part === 'string' && part !== '');
    const text = chunk ?? (labels.length ? labels.join(' › ') : '');
    if (text) sources[record.id] = text;
  }
  return sources;
}

/** Reads chunks.jsonl until every wanted chunk is found; a missing file gives none. */
async function chunkTexts(file: string, wanted: Set<number>): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  try {
    for await (const line of readLines(file)) {
      const chunk = parse(line.text) as { index?: unknown; text?: unknown } | undefined;
      if (typeof chunk?.index === 'number' && wanted.has(chunk.index) && typeof chunk.text === 'string') found.set(chunk.index, clip(chunk.text, clipAt));
      if (found.size === wanted.size) break;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return found;
}

async function agreementCounts(file: string): Promise<number[]> {
  const counts = new Array<number>(10).fill(0);
  try {
    for await (const line of readLines(file)) {
      const agreement = (parse(line.text) as { agreement?: unknown } | undefined)?.agreement;
      if (typeof agreement === 'number' && Number.isFinite(agreement)) counts[Math.max(0, Math.min(9, Math.floor(agreement * 10)))]!++;
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return counts;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
