/**
 * Where a run lives and what its files are called: every pipeline writes by these tables and
 * review, export, planning and the ensemble's run input read by them, so a name is written once.
 * A file that is missing means the run has no samples of that kind.
 */
import path from 'node:path';
import type { RunKind } from '../store/catalog.js';

/** The folder of one run under DISTILLERY_HOME. */
export function runDir(home: string, runId: string): string {
  return path.join(home, 'runs', runId);
}

/** Every LLM call of a run, answered or failed (the journal replayed on resume). */
export const journalFile = 'calls.jsonl';
export const metricsFile = 'metrics.json';

export const distillFiles = {
  chunks: 'chunks.jsonl',
  generated: 'generated_qa_pairs.jsonl',
  validated: 'validation_results.jsonl',
  golden: 'golden_dataset.jsonl',
  metrics: metricsFile,
} as const;

export const cascadeFiles = {
  domain: 'domain.json',
  raw: 'stage_a_raw_pairs.jsonl',
  formatted: 'stage_b_formatted_pairs.jsonl',
  validated: 'stage_c_validated.jsonl',
  train: 'train.jsonl',
  golden: 'golden_test_set.jsonl',
  metrics: metricsFile,
} as const;

export const ensembleFiles = {
  prompts: 'prompts.jsonl',
  answers: 'teacher_answers.jsonl',
  consensus: 'consensus.jsonl',
  preferences: 'preference_pairs.jsonl',
  metrics: metricsFile,
} as const;

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

/** The same files by the role review and export give them. */
export const runFiles: Readonly<Record<RunKind, RunFileSet>> = {
  distill: { judged: distillFiles.validated, train: distillFiles.golden, golden: distillFiles.golden, goldenHeldOut: false, metrics: metricsFile },
  cascade: { judged: cascadeFiles.validated, train: cascadeFiles.train, golden: cascadeFiles.golden, goldenHeldOut: true, metrics: metricsFile },
  ensemble: { judged: ensembleFiles.consensus, preference: ensembleFiles.preferences, goldenHeldOut: false, metrics: metricsFile },
  // An evaluation writes grades (grades.jsonl), not samples: nothing of it is reviewed or exported.
  evaluate: { goldenHeldOut: false, metrics: metricsFile },
};

export function runFilesFor(kind: RunKind): RunFileSet {
  return runFiles[kind] ?? { goldenHeldOut: false, metrics: metricsFile };
}

/** Absolute path of one of a run's files, or undefined when the kind has no such file. */
export function runFilePath(runDir: string, kind: RunKind, role: 'judged' | 'train' | 'golden' | 'preference' | 'metrics'): string | undefined {
  const name = runFilesFor(kind)[role];
  return typeof name === 'string' ? path.join(runDir, name) : undefined;
}
