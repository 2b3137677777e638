/**
 * The types batch mode's modules share (and the engine's call types, which batching takes), kept
 * apart so engine -> batching -> tracking -> submit import one way and never back.
 */
import type { Reservation } from '../budget/guard.js';
import type { BatchLine } from '../llm/batch/index.js';
import type { ResolvedTarget } from '../llm/client.js';
import type { AdapterResponse, LlmRequest } from '../llm/types.js';
import type { BatchOutcome, JournaledBatch } from './batch-journal.js';

export type CallOutcome<T> =
  | { ok: true; value: T; costUsd: number; replayed: boolean; provider: string; model: string }
  | { ok: false; reason: string; message: string; costUsd: number };

export type CallSpec<T> = Omit<LlmRequest<T>, 'runId' | 'signal' | 'sampleKey'> & {
  sampleKey: string;
  /** Hash of the prompt template, so a changed prompt is a new call. */
  promptHash: string;
};

export const runModes = ['live', 'batch', 'auto'] as const;
export type RunMode = (typeof runModes)[number];

export type BatchAnswer =
  | { outcome: 'succeeded'; response: AdapterResponse; costUsd: number }
  | { outcome: Exclude<BatchOutcome, 'succeeded'> | 'unsent'; message: string; costUsd: number };

export interface BatchingOptions {
  now?: () => Date;
  /** Waits between polls and for DeepSeek's off-peak window; tests pass one that does not sleep. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export interface Waiter {
  resolve(answer: BatchAnswer): void;
  reject(error: Error): void;
}

export interface OutBatch {
  journaled: JournaledBatch;
  target: ResolvedTarget;
  /** Absent for a batch recovered from the journal: its requests are with the provider. */
  lines?: BatchLine[];
  holds: Map<string, Reservation>;
  waiters: Map<string, Waiter>;
  task?: Promise<void>;
}
