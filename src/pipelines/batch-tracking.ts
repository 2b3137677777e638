/**
 * Batches out at a provider, for one run: submitting (a lost submit answer is found by listing recent
 * batches), polling with back-off, taking in results (real cost committed, the hold released) and
 * answering the calls waiting on them. A restarted process recovers the batches its journal lists.
 */
import type { Reservation } from '../budget/guard.js';
import type { BatchClient, BatchHandle, BatchLine, BatchResult } from '../llm/batch/index.js';
import type { ResolvedTarget } from '../llm/client.js';
import { costUsd } from '../llm/prices.js';
import type { Services } from '../services.js';
import { errorMessage } from '../errors.js';
import { sleep } from '../util/sleep.js';
import { batchViews, type BatchJournal, type BatchResultRecord, type JournaledBatch } from './batch-journal.js';
import { isRefusal, submitOrFind } from './batch-submit.js';
import type { BatchAnswer, BatchingOptions } from './batching.js';

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

interface TrackerDeps {
  services: Services;
  runId: string;
  journal: BatchJournal;
  options: BatchingOptions;
  client(target: ResolvedTarget): Promise<BatchClient>;
  onSettled(): void;
}

/** Polls failing in a row before a batch is given up (its requests then go live). */
const maxPollFailures = 20;

export function toAnswer(record: BatchResultRecord): BatchAnswer {
  if (record.outcome === 'succeeded' && record.response) return { outcome: 'succeeded', response: record.response, costUsd: record.costUsd };
  return { outcome: record.outcome === 'succeeded' ? 'missing' : record.outcome, message: record.message ?? record.outcome, costUsd: record.costUsd };
}

export class BatchTracker {
  private readonly out = new Map<string, OutBatch>();
  private readonly byKey = new Map<string, OutBatch>();
  /** Aborted to stop every poll at once; replaced when polling starts again (after a cancel). */
  private polls = new AbortController();
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly deps: TrackerDeps) {
    this.sleep = deps.options.sleep ?? sleep;
  }

  now(): Date {
    return this.deps.options.now?.() ?? new Date();
  }

  takeResult(key: string): BatchAnswer | undefined {
    const record = this.deps.journal.take(key);
    return record ? toAnswer(record) : undefined;
  }

  /** Attaches a call to a batch already out with its request; false when none has it. */
  awaitKey(key: string, waiter: Waiter): boolean {
    const batch = this.byKey.get(key);
    if (!batch) return false;
    batch.waiters.set(key, waiter);
    return true;
  }

  hasOutstanding(): boolean {
    return this.out.size > 0;
  }

  rejectWaiters(error: Error): void {
    for (const batch of this.out.values()) {
      for (const waiter of batch.waiters.values()) waiter.reject(error);
      batch.waiters.clear();
    }
  }

  /** Batches an earlier process left out: their holds are restored and they are polled again. */
  recover(): void {
    const { services, runId } = this.deps;
    for (const journaled of this.deps.journal.outstanding()) {
      const provider = services.config.providers[journaled.provider];
      if (!provider) continue;
      const price = services.prices.require(journaled.provider, journaled.model);
      const target: ResolvedTarget = { provider, model: journaled.model, maxOutputTokens: 0, price };
      const holds = new Map<string, Reservation>();
      journaled.keys.forEach((key, index) => {
        if (!journaled.settled.has(key)) holds.set(key, services.guard.adopt(journaled.holds[index] ?? 0, { runId, month: journaled.month }));
      });
      this.submit({ journaled, target, holds, waiters: new Map() });
    }
  }

  submit(batch: OutBatch): void {
    this.out.set(batch.journaled.local, batch);
    for (const key of batch.holds.keys()) this.byKey.set(key, batch);
    batch.task = this.track(batch);
  }

  async finish(how: 'drain' | 'cancel' | 'leave'): Promise<void> {
    if (how !== 'drain') {
      const stopped = this.polls;
      this.polls = new AbortController();
      stopped.abort();
      await Promise.allSettled([...this.out.values()].map((batch) => batch.task));
    }
    if (how === 'cancel') await this.cancelAll();
    else await Promise.allSettled([...this.out.values()].map((batch) => batch.task));
    // Left for the next process, which restores these holds from the journal.
    for (const batch of this.out.values()) for (const hold of batch.holds.values()) this.deps.services.guard.release(hold);
    await this.deps.journal.close();
  }

  /** Cancels every batch out, then reads what each did before it stopped: those results are paid for. */
  private async cancelAll(): Promise<void> {
    const batches = [...this.out.values()];
    await Promise.allSettled(batches.map(async (batch) => {
      if (!batch.journaled.id) return this.abandon(batch, 'the run was cancelled before the batch was submitted');
      const client = await this.deps.client(batch.target);
      await client.cancel(batch.journaled.id).catch((error) => this.deps.services.log.warn('batch cancel failed', { batch: batch.journaled.id, error: errorMessage(error) }));
      batch.task = this.track(batch, true);
      await batch.task;
    }));
  }

  views() {
    return batchViews(this.deps.journal);
  }

  private async track(batch: OutBatch, pollAtOnce = false): Promise<void> {
    const signal = this.polls.signal;
    try {
      const client = await this.deps.client(batch.target);
      if (!batch.journaled.id && !(await this.send(client, batch))) return;
      const handle = await this.poll(client, batch, pollAtOnce);
      await this.collect(client, batch, handle);
    } catch (error) {
      if (signal.aborted) return;
      this.deps.services.log.warn('batch failed', { runId: this.deps.runId, batch: batch.journaled.local, error: errorMessage(error) });
      await this.abandon(batch, `the ${batch.journaled.provider} batch failed: ${errorMessage(error)}`);
    }
  }

  /** Submits (journaled first), or finds the batch whose answer was lost; false when it never reached the provider. */
  private async send(client: BatchClient, batch: OutBatch): Promise<boolean> {
    const { journal } = this.deps;
    const handle = await submitOrFind(client, batch, journal, { sleep: (attempt) => this.sleep(this.delay(attempt), this.polls.signal) });
    const { journaled } = batch;
    if (!handle) {
      await this.abandon(batch, `the ${journaled.provider} batch could not be submitted`);
      return false;
    }
    batch.lines = undefined; // with the provider now: the request bodies need not stay in memory
    await journal.append({ type: 'submitted', local: journaled.local, id: handle.id, ...(handle.expiresAt ? { expiresAt: handle.expiresAt } : {}), at: this.now().toISOString() });
    await journal.append({ type: 'state', local: journaled.local, state: handle.state, counts: handle.counts });
    return true;
  }

  private delay(attempt: number): number {
    const { pollMs, pollMaxMs } = this.deps.services.config.batch;
    return Math.min(pollMaxMs, pollMs * 2 ** attempt);
  }

  private async poll(client: BatchClient, batch: OutBatch, atOnce: boolean): Promise<BatchHandle> {
    const { journaled } = batch;
    let failures = 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0 || !atOnce) await this.sleep(this.delay(attempt), this.polls.signal);
      let handle: BatchHandle;
      try {
        handle = await client.retrieve(journaled.id!);
      } catch (error) {
        // A blip (the batch goes on at the provider) unless it is refused or keeps failing.
        if (isRefusal(error) || ++failures >= maxPollFailures) throw error;
        continue;
      }
      failures = 0;
      if (handle.state !== journaled.state || JSON.stringify(handle.counts) !== JSON.stringify(journaled.counts)) {
        await this.deps.journal.append({ type: 'state', local: journaled.local, state: handle.state, counts: handle.counts });
      }
      if (handle.state === 'ended') return handle;
    }
  }

  private async collect(client: BatchClient, batch: OutBatch, handle: BatchHandle): Promise<void> {
    const { journaled } = batch;
    const mine = new Set(journaled.keys);
    for await (const result of client.results(handle)) {
      if (mine.has(result.customId) && !journaled.settled.has(result.customId)) await this.settle(batch, result);
    }
    for (const key of journaled.keys) {
      if (!journaled.settled.has(key)) await this.settle(batch, { customId: key, outcome: 'errored', message: 'the batch ended without a result for this request' });
    }
    await this.deps.journal.append({ type: 'ended', local: journaled.local, at: this.now().toISOString() });
    this.out.delete(journaled.local);
  }

  /** The ledger first, then the journal: a crash between the two counts a cost twice, never zero times. */
  private async settle(batch: OutBatch, result: BatchResult): Promise<void> {
    const { services, runId, journal } = this.deps;
    const { journaled, target } = batch;
    const key = result.customId;
    const at = this.now();
    const hold = batch.holds.get(key) ?? services.guard.adopt(0, { runId, month: journaled.month });
    batch.holds.delete(key);
    let cost = 0;
    if (result.outcome === 'succeeded') {
      cost = costUsd(target.price, result.response.usage, at, 'batch');
      const sampleKey = journaled.sampleKeys[journaled.keys.indexOf(key)];
      const entry = { at: at.toISOString(), runId, stage: journaled.stage, sampleKey, provider: target.provider.name, model: target.model, usage: result.response.usage, costUsd: cost, outcome: 'ok' as const, durationMs: at.getTime() - Date.parse(journaled.submittingAt), batch: journaled.id };
      await services.guard.commit(hold, entry);
    } else services.guard.release(hold);
    await journal.append({ type: 'result', local: journaled.local, key, outcome: result.outcome, costUsd: cost, ...(result.outcome === 'succeeded' ? { response: result.response } : { message: result.message }) });
    this.answer(batch, key);
  }

  private answer(batch: OutBatch, key: string): void {
    this.byKey.delete(key);
    const waiter = batch.waiters.get(key);
    batch.waiters.delete(key);
    const record = waiter ? this.deps.journal.take(key) : undefined;
    if (waiter && record) waiter.resolve(toAnswer(record));
    this.deps.onSettled();
  }

  /** Requests that never reached the provider: holds released, calls told so (they queue again). */
  private async abandon(batch: OutBatch, reason: string): Promise<void> {
    const { journaled } = batch;
    await this.deps.journal.append({ type: 'abandoned', local: journaled.local, reason });
    for (const key of journaled.keys) {
      if (journaled.settled.has(key)) continue;
      const hold = batch.holds.get(key);
      if (hold) this.deps.services.guard.release(hold);
      batch.holds.delete(key);
      this.byKey.delete(key);
      batch.waiters.get(key)?.resolve({ outcome: 'unsent', message: reason, costUsd: 0 });
    }
    this.out.delete(journaled.local);
    this.deps.onSettled();
  }
}
