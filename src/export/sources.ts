/**
 * A run's samples for one split, streamed from its files with human decisions folded in: a reject
 * removes a sample, an edit changes its text, an approve adds a sample the judge turned down.
 * By default only approved samples are exported; with min_score, every judged sample scoring at
 * least that (decisions still win). Counts say what was removed or added and why.
 */
import path from 'node:path';
import type { Services } from '../services.js';
import type { RunRecord } from '../store/catalog.js';
import { runDir, runFilesFor, type RunFileSet } from '../pipelines/run-files.js';
import type { Sample } from '../pipelines/sample.js';
import { effectiveSample, foldDecisions, groupDecisions, type Overlay } from '../review/decisions.js';
import { readJsonlBatches } from '../store/jsonl.js';

export type Split = 'train' | 'golden';

export interface SourceCounts {
  removed_by_review: number;
  added_by_review: number;
  edited: number;
  below_min_score: number;
}

export interface RunSource {
  run: RunRecord;
  dir: string;
  files: RunFileSet;
  overlays: Map<string, Overlay>;
}

export function openRunSource(services: Services, run: RunRecord): RunSource {
  const overlays = new Map<string, Overlay>();
  for (const [id, decisions] of groupDecisions(services.catalog.decisions(run.id))) overlays.set(id, foldDecisions(decisions)!);
  return { run, dir: runDir(services.config.home, run.id), files: runFilesFor(run.kind), overlays };
}

/** Whether the run has samples for a split at all (an ensemble has no golden set). */
export function hasSplit(source: RunSource, split: Split): boolean {
  return split === 'train' ? Boolean(source.files.train ?? source.files.judged) : Boolean(source.files.golden);
}

const fileOf = (source: RunSource, name: string | undefined) => (name ? path.join(source.dir, name) : undefined);

async function idsOf(file: string | undefined): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const batch of readJsonlBatches<Sample>(file)) for (const sample of batch) ids.add(sample.id);
  return ids;
}

/** A split's samples in batches (a read of the file each), so the caller awaits once per batch, not per sample. */
export async function* splitSamples(source: RunSource, split: Split, counts: SourceCounts, minScore?: number): AsyncGenerator<Sample[]> {
  const { files } = source;
  // Golden ids are only needed to keep golden samples out of what is read from the judged file.
  const heldOutIds = async () => (files.goldenHeldOut ? await idsOf(fileOf(source, files.golden)) : undefined);
  if (minScore !== undefined && files.judged) {
    yield* scoredSamples(source, split, counts, minScore, await heldOutIds());
    return;
  }
  const splitFile = split === 'golden' ? files.golden : (files.train ?? undefined);
  if (split === 'golden' && !splitFile) return;
  const pendingApprovals = new Set([...source.overlays].filter(([, overlay]) => overlay.status === 'approved').map(([id]) => id));
  if (splitFile) {
    for await (const batch of readJsonlBatches<Sample>(fileOf(source, splitFile))) {
      const kept: Sample[] = [];
      for (const raw of batch) {
        // A train or golden file is an approved set: a sample without a status there is approved.
        const sample = raw.status ? raw : { ...raw, status: 'approved' as const };
        pendingApprovals.delete(sample.id);
        const overlay = source.overlays.get(sample.id);
        const effective = effectiveSample(sample, overlay);
        if (effective.status !== 'approved') {
          if (overlay) counts.removed_by_review++;
          continue;
        }
        if (minScore !== undefined && !(effective.scores?.overall >= minScore) && !overlay) {
          counts.below_min_score++;
          continue;
        }
        if (effective.original) counts.edited++;
        kept.push(effective);
      }
      yield kept;
    }
  }
  // Samples the judge did not approve (or, for an ensemble, all approved ones) come from the judged file.
  const wantsJudged = !splitFile || pendingApprovals.size > 0;
  if (!wantsJudged || (split === 'golden' && files.goldenHeldOut)) return;
  const heldOut = await heldOutIds();
  for await (const batch of readJsonlBatches<Sample>(fileOf(source, files.judged))) {
    const kept: Sample[] = [];
    for (const sample of batch) {
      if (heldOut?.has(sample.id) && split === 'train') continue;
      const overlay = source.overlays.get(sample.id);
      if (splitFile && !pendingApprovals.has(sample.id)) continue;
      const effective = effectiveSample(sample, overlay);
      if (effective.status !== 'approved') {
        if (overlay && sample.status === 'approved') counts.removed_by_review++;
        continue;
      }
      if (splitFile || (overlay && sample.status !== 'approved')) counts.added_by_review++;
      if (effective.original) counts.edited++;
      kept.push(effective);
    }
    yield kept;
  }
}

async function* scoredSamples(source: RunSource, split: Split, counts: SourceCounts, minScore: number, heldOut: Set<string> | undefined): AsyncGenerator<Sample[]> {
  if (split === 'golden' && !source.files.golden) return;
  for await (const batch of readJsonlBatches<Sample>(fileOf(source, source.files.judged))) {
    const kept: Sample[] = [];
    for (const sample of batch) {
      if (heldOut && heldOut.has(sample.id) !== (split === 'golden')) continue;
      const overlay = source.overlays.get(sample.id);
      const effective = effectiveSample(sample, overlay);
      if (overlay) {
        if (effective.status !== 'approved') {
          counts.removed_by_review++;
          continue;
        }
        if (sample.status !== 'approved') counts.added_by_review++;
      } else if (!(sample.scores?.overall >= minScore) || sample.review?.by === 'filter') {
        counts.below_min_score++;
        continue;
      }
      if (effective.original) counts.edited++;
      kept.push(effective);
    }
    yield kept;
  }
}
