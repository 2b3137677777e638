/**
 * Batch mode in the engine: calls of a batched stage queue here instead of going out one by one.
 * A stage's queue is cut into a batch at `max_requests`, at `max_age` after its first request, or as
 * soon as no live call of the run is in flight (the stages feeding it have finished or are waiting on
 * batches themselves). Before a batch is submitted each request holds its worst-case batch price;
 * what the budget cannot cover waits for the next cut. Results commit their real cost and answer
 * their calls; see batch-journal.ts for what survives a restart and batch-tracking.ts for polling.
 */
import { randomBytes } from 'node:crypto';
import type { BudgetGuard, Reservation } from '../budget/guard.js';
import { BudgetError } from '../errors.js';
import { batchLimits, createBatchClient, type BatchClient, type BatchLine } from '../llm/batch/index.js';
import type { ResolvedTarget } from '../llm/client.js';
import { worstCaseUsd } from '../llm/prices.js';
import { promptTokensToHold } from '../llm/tokens.js';
import { jsonSchemaFor, parseStructured } from '../llm/structured.js';
import { emptyUsage, type AdapterResponse, type Usage } from '../llm/types.js';
import type { Services } from '../services.js';
import { BatchJournal, type BatchOutcome } from './batch-journal.js';
import { BatchTracker, type OutBatch, type Waiter } from './batch-tracking.js';
import type { CallSpec } from './engine.js';

export type RunMode = 'live' | 'batch' | 'auto';

export type BatchAnswer =
  | { outcome: 'succeeded'; response: AdapterResponse; costUsd: number }
  | { outcome: Exclude<BatchOutcome, 'succeeded'> | 'unsent'; message: string; costUsd: number };

export interface BatchingOptions {
  now?: () => Date;
  /** Waits between polls and for DeepSeek's off-peak window; tests pass one that does not sleep. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Queued {
  key: string;
  sampleKey: string;
  line: BatchLine;
  bytes: number;
  worstUsd: number;
  waiter: Waiter;
}
interface Group {
  target: ResolvedTarget;
  stage: string;
  items: Queued[];
  timer?: NodeJS.Timeout;
}

export class RunBatcher {
  private readonly groups = new Map<string, Group>();
  private readonly clients = new Map<string, Promise<BatchClient>>();
  private liveCalls = 0;
  private cutScheduled = false;
  private stopped: Error | undefined;
  private finished: Promise<void> | undefined;

  private constructor(private readonly services: Services, private readonly runId: string, private readonly runCapUsd: number | undefined, private readonly tracker: BatchTracker) {}

  static async open(services: Services, runId: string, dir: string, runCapUsd: number | undefined, options: BatchingOptions): Promise<RunBatcher> {
    const journal = await BatchJournal.open(dir);
    let batcher: RunBatcher | undefined;
    const tracker = new BatchTracker({ services, runId, journal, options, client: (target) => batcher!.client(target), onSettled: () => batcher!.schedule() });
    batcher = new RunBatcher(services, runId, runCapUsd, tracker);
    tracker.recover();
    return batcher;
  }

  /** Whether a call goes to a batch API: its provider has one, and the mode says so for its stage. */
  static wants(mode: RunMode, target: ResolvedTarget, stageCalls: number, config: Services['config']): boolean {
    if (mode === 'live' || !batchLimits(target.provider) || !target.price.batch) return false;
    return mode === 'batch' || stageCalls > config.batch.autoMinCalls;
  }

  /** The batch answer for a call: journaled by an earlier process, from a batch already out, or from a new one. */
  answer(key: string, sampleKey: string, stage: string, target: ResolvedTarget, request: BatchLine['request']): Promise<BatchAnswer> {
    const recorded = this.tracker.takeResult(key);
    if (recorded) return Promise.resolve(recorded);
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<BatchAnswer>((resolve, reject) => {
      const waiter = { resolve, reject };
      if (this.tracker.awaitKey(key, waiter)) return;
      const group = this.group(stage, target);
      const tokens = promptTokensToHold(target.provider.name, request.system, request.messages.map((message) => message.content));
      const worstUsd = worstCaseUsd(target.price, tokens, request.maxOutputTokens, this.now(), 'batch');
      const line = { customId: key, request };
      group.items.push({ key, sampleKey, line, bytes: JSON.stringify(request).length + 200, worstUsd, waiter });
      group.timer ??= setTimeout(() => this.cut(group), this.services.config.batch.maxAgeMs).unref();
      this.schedule();
    });
  }

  liveStarted(): void {
    this.liveCalls++;
  }

  liveEnded(): void {
    this.liveCalls--;
    this.schedule();
  }

  /** Answers every waiting call with `error` (the run is stopping); batches out go on being tracked. */
  stopWaiting(error: Error): void {
    this.stopped ??= error;
    for (const group of this.groups.values()) {
      clearTimeout(group.timer);
      for (const item of group.items.splice(0)) item.waiter.reject(error);
    }
    this.tracker.rejectWaiters(error);
  }

  /** At the run's end: `drain` waits for batches out; `cancel` cancels them first; `leave` stops polling (the process is going). */
  finish(how: 'drain' | 'cancel' | 'leave'): Promise<void> {
    return (this.finished ??= this.tracker.finish(how));
  }

  views() {
    return this.tracker.views();
  }

  private now(): Date {
    return this.tracker.now();
  }

  private client(target: ResolvedTarget): Promise<BatchClient> {
    let client = this.clients.get(target.provider.name);
    if (!client) {
      client = createBatchClient(target.provider);
      this.clients.set(target.provider.name, client);
    }
    return client;
  }

  private group(stage: string, target: ResolvedTarget): Group {
    const name = `${stage}\u0000${target.provider.name}\u0000${target.model}`;
    let group = this.groups.get(name);
    if (!group) {
      group = { target, stage, items: [] };
      this.groups.set(name, group);
    }
    return group;
  }

  /** Cuts, once this turn's calls have queued, every stage that is full or that nothing live is feeding. */
  private schedule(): void {
    if (this.cutScheduled) return;
    this.cutScheduled = true;
    setImmediate(() => {
      this.cutScheduled = false;
      for (const group of this.groups.values()) {
        if (group.items.length >= this.services.config.batch.maxRequests || (group.items.length > 0 && this.liveCalls === 0)) this.cut(group);
      }
    });
  }

  private cut(group: Group): void {
    clearTimeout(group.timer);
    group.timer = undefined;
    if (this.stopped || group.items.length === 0) return;
    const limits = batchLimits(group.target.provider)!;
    const maxRequests = Math.min(this.services.config.batch.maxRequests, limits.maxRequests);
    let bytes = 0;
    let count = 0;
    while (count < group.items.length && count < maxRequests && bytes + group.items[count]!.bytes <= limits.maxBytes) bytes += group.items[count++]!.bytes;
    const items = this.holdWhatFits(group.items.slice(0, Math.max(count, 1)));
    group.items.splice(0, items.length);
    if (group.items.length > 0) group.timer = setTimeout(() => this.cut(group), this.services.config.batch.maxAgeMs).unref();
    if (items.length > 0) void this.tracker.submit(this.outBatch(group, items));
  }

  /**
   * Holds the worst case of as many requests as the budget covers, in order. When not even one fits
   * and no batch is out to free a hold, the calls get the budget error (the run pauses); otherwise
   * the rest wait for the next cut, after a batch has ended.
   */
  private holdWhatFits(items: Queued[]): (Queued & { hold: Reservation })[] {
    const held: (Queued & { hold: Reservation })[] = [];
    const guard: BudgetGuard = this.services.guard;
    for (const item of items) {
      try {
        held.push({ ...item, hold: guard.reserve(item.worstUsd, { runId: this.runId, runCapUsd: this.runCapUsd }) });
      } catch (error) {
        if (!(error instanceof BudgetError)) throw error;
        if (held.length === 0 && !this.tracker.hasOutstanding()) this.stopWaiting(error);
        break;
      }
    }
    return held;
  }

  private outBatch(group: Group, items: (Queued & { hold: Reservation })[]): OutBatch {
    const local = `b-${randomBytes(6).toString('hex')}`;
    const at = this.now();
    return {
      journaled: { local, provider: group.target.provider.name, model: group.target.model, stage: group.stage, keys: items.map((item) => item.key), sampleKeys: items.map((item) => item.sampleKey), holds: items.map((item) => item.worstUsd), month: items[0]!.hold.month, submittingAt: at.toISOString(), settled: new Set(), done: false },
      target: group.target,
      lines: items.map((item) => item.line),
      holds: new Map(items.map((item) => [item.key, item.hold])),
      waiters: new Map(items.map((item) => [item.key, item.waiter])),
    };
  }
}

export type BatchedCall<T> =
  | { ok: true; value: T; usage: Usage; costUsd: number }
  | { ok: false; usage: Usage; costUsd: number; retry: string };

/**
 * One call through a batch, parsed as a live answer would be. A result that errored, expired, was
 * cut short, refused, blank or unparseable comes back not ok with its cost: the engine sends it
 * live, where the usual retry, re-ask and failure-threshold rules apply.
 */
export async function batchedCall<T>(batcher: RunBatcher, key: string, spec: CallSpec<T>, target: ResolvedTarget): Promise<BatchedCall<T>> {
  const request = {
    model: target.model,
    system: spec.system,
    messages: [{ role: 'user' as const, content: spec.prompt }],
    maxOutputTokens: spec.maxOutputTokens ?? target.maxOutputTokens,
    jsonSchema: { name: spec.schemaName, schema: jsonSchemaFor(spec.schema) },
  };
  let answer = await batcher.answer(key, spec.sampleKey, spec.stage, target, request);
  // A batch that never reached the provider: its calls queue once more.
  if (answer.outcome === 'unsent') answer = await batcher.answer(key, spec.sampleKey, spec.stage, target, request);
  if (answer.outcome !== 'succeeded') return { ok: false, usage: emptyUsage(), costUsd: answer.costUsd, retry: `batch_${answer.outcome}` };
  const { response } = answer;
  const problem = response.finishReason === 'length' ? 'output_truncated' : response.finishReason === 'refusal' ? 'output_refusal' : !response.text.trim() ? 'output_blank' : undefined;
  const parsed = problem ? undefined : parseStructured(response.text, spec.schema);
  if (parsed?.ok) return { ok: true, value: parsed.value, usage: response.usage, costUsd: answer.costUsd };
  return { ok: false, usage: response.usage, costUsd: answer.costUsd, retry: `batch_${problem ?? `output_${parsed!.reason}`}` };
}
