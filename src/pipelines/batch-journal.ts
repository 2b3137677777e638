/**
 * The batch journal (batches.jsonl): what a run has sent through the providers' batch APIs. A
 * batch's request keys and holds are written before it is submitted, its id as soon as the submit
 * answers, and each result before the run moves on, so a restarted process polls the batches
 * already out instead of sending their requests again.
 */
import path from 'node:path';
import { JsonlAppender, readJsonl } from '../store/jsonl.js';
import type { BatchCounts, BatchState } from '../llm/batch/index.js';
import type { AdapterResponse } from '../llm/types.js';

export type BatchOutcome = 'succeeded' | 'errored' | 'expired' | 'canceled' | 'missing';

export type BatchJournalRecord =
  | { type: 'submitting'; local: string; provider: string; model: string; stage: string; keys: string[]; sampleKeys: string[]; holds: number[]; month: string; at: string }
  | { type: 'submitted'; local: string; id: string; expiresAt?: string; at: string }
  | { type: 'state'; local: string; state: BatchState; counts: BatchCounts }
  | { type: 'result'; local: string; key: string; outcome: BatchOutcome; response?: AdapterResponse; costUsd: number; message?: string }
  | { type: 'ended'; local: string; at: string }
  | { type: 'abandoned'; local: string; reason: string };

/** A batch as the journal knows it. */
export interface JournaledBatch {
  local: string;
  provider: string;
  model: string;
  stage: string;
  keys: string[];
  sampleKeys: string[];
  holds: number[];
  month: string;
  submittingAt: string;
  id?: string;
  expiresAt?: string;
  submittedAt?: string;
  state?: BatchState;
  counts?: BatchCounts;
  /** Keys whose result is journaled. */
  settled: Set<string>;
  done: boolean;
}

export type BatchResultRecord = Extract<BatchJournalRecord, { type: 'result' }>;

/** Whether a run's journal lists batches whose results are not all in (read only: nothing is opened for writing). */
export async function hasBatchesOut(runDir: string): Promise<boolean> {
  const open = new Set<string>();
  for await (const record of readJsonl<BatchJournalRecord>(path.join(runDir, 'batches.jsonl'))) {
    if (record.type === 'submitting') open.add(record.local);
    else if (record.type === 'ended' || record.type === 'abandoned') open.delete(record.local);
  }
  return open.size > 0;
}

export class BatchJournal {
  private constructor(
    readonly batches: Map<string, JournaledBatch>,
    /** Results not yet taken by a call, by call key. */
    private readonly results: Map<string, BatchResultRecord>,
    private readonly file: string,
  ) {}

  /** Opened on the first batch: a live run gets no batches.jsonl. */
  private appender: Promise<JsonlAppender> | undefined;

  static async open(runDir: string): Promise<BatchJournal> {
    const file = path.join(runDir, 'batches.jsonl');
    const journal = new BatchJournal(new Map(), new Map(), file);
    for await (const record of readJsonl<BatchJournalRecord>(file)) journal.apply(record);
    return journal;
  }

  /** Batches submitted (or being submitted) whose results are not all in. */
  outstanding(): JournaledBatch[] {
    return [...this.batches.values()].filter((batch) => !batch.done);
  }

  /** A result for a call key, handed out once. */
  take(key: string): BatchResultRecord | undefined {
    const result = this.results.get(key);
    if (result) this.results.delete(key);
    return result;
  }

  hasResult(key: string): boolean {
    return this.results.has(key);
  }

  async append(record: BatchJournalRecord): Promise<void> {
    this.apply(record);
    // JsonlAppender.open repairs a line torn by a crash before anything is added.
    await (await (this.appender ??= JsonlAppender.open(this.file))).append(record);
  }

  async close(): Promise<void> {
    await (await this.appender)?.close();
  }

  private apply(record: BatchJournalRecord): void {
    if (record.type === 'submitting') {
      const { local, provider, model, stage, keys, sampleKeys, holds, month, at } = record;
      this.batches.set(local, { local, provider, model, stage, keys, sampleKeys, holds, month, submittingAt: at, settled: new Set(), done: false });
      return;
    }
    const batch = this.batches.get(record.local);
    if (!batch) return;
    if (record.type === 'submitted') Object.assign(batch, { id: record.id, expiresAt: record.expiresAt, submittedAt: record.at });
    else if (record.type === 'state') Object.assign(batch, { state: record.state, counts: record.counts });
    else if (record.type === 'result') {
      batch.settled.add(record.key);
      this.results.set(record.key, record);
    }
    else batch.done = true;
  }
}

/** Every batch of the run as run_status shows it: provider, id, requests, state, counts, times. */
export function batchViews(journal: BatchJournal) {
  return [...journal.batches.values()].map((batch) => ({
    provider: batch.provider,
    model: batch.model,
    stage: batch.stage,
    id: batch.id ?? null,
    requests: batch.keys.length,
    state: batch.state ?? (batch.id ? 'validating' : 'submitting'),
    counts: batch.counts ?? null,
    submitted_at: batch.submittedAt ?? null,
    expected_by: batch.expiresAt ?? null,
  }));
}
