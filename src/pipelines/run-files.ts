/**
 * Where each kind of run keeps its samples, by file name (DESIGN §1), so review and export read
 * every pipeline the same way. A file that is missing means the run has no samples of that kind.
 */
import path from 'node:path';
import type { RunKind } from '../store/catalog.js';

export interface RunFileSet {
  /** Every judged sample, approved or not: what review_samples pages through. */
  judged?: string;
  /** Approved samples for training. Absent: the approved samples of `judged`. */
  train?: string;
  /** The golden set. */
  golden?: string;
  /**
   * True when the golden set is held out from training (cascade's golden_test_set.jsonl), so a train
   * export must stay disjoint from it. A distillation's golden_dataset.jsonl is the run's whole
   * approved output, used as both its train and its golden split, and is not held out.
   */
  goldenHeldOut: boolean;
  /** Preference pairs ({instruction or prompt, input?, chosen, rejected}). */
  preference?: string;
  metrics: string;
}

export const runFiles: Readonly<Record<RunKind, RunFileSet>> = {
  distill: { judged: 'validation_results.jsonl', train: 'golden_dataset.jsonl', golden: 'golden_dataset.jsonl', goldenHeldOut: false, metrics: 'metrics.json' },
  cascade: { judged: 'stage_c_validated.jsonl', train: 'train.jsonl', golden: 'golden_test_set.jsonl', goldenHeldOut: true, metrics: 'metrics.json' },
  ensemble: { judged: 'consensus.jsonl', preference: 'preference_pairs.jsonl', goldenHeldOut: false, metrics: 'metrics.json' },
  // An evaluation writes grades (grades.jsonl), not samples: nothing of it is reviewed or exported.
  evaluate: { goldenHeldOut: false, metrics: 'metrics.json' },
};

export function runFilesFor(kind: RunKind): RunFileSet {
  return runFiles[kind] ?? { goldenHeldOut: false, metrics: 'metrics.json' };
}

/** Absolute path of one of a run's files, or undefined when the kind has no such file. */
export function runFilePath(runDir: string, kind: RunKind, role: 'judged' | 'train' | 'golden' | 'preference' | 'metrics'): string | undefined {
  const name = runFilesFor(kind)[role];
  return typeof name === 'string' ? path.join(runDir, name) : undefined;
}
