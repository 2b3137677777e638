/**
 * The run engine shared by every pipeline. A run is a background job whose state lives
 * in the catalog; starting returns at once. Each LLM call goes through `RunContext.call`, which
 * answers from the journal when it can and journals every new answer before the run advances, so
 * a resumed run replays what was paid for and sends only what is missing.
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Catalog, RunKind, RunParams, RunPause, RunRecord, RunStatus } from '../store/catalog.js';
import { BudgetError, DistilleryError, InputError, ProviderError, errorMessage } from '../errors.js';
import { CallFailedError } from '../llm/client.js';
import { addUsage, emptyUsage, type LlmRequest, type StageRole, type Usage } from '../llm/types.js';
import { stableKey } from '../util/hash.js';
import { CallJournal, type JournalRecord } from './journal.js';
import { RunBatcher, batchedCall } from './batching.js';
import type { BatchingOptions, CallOutcome, CallSpec, RunMode } from './batch-types.js';
import { waitForOffPeak } from './off-peak.js';
import { hasBatchesOut } from './batch-journal.js';
import { sleep } from '../util/sleep.js';
import { Progress } from './progress.js';
import { runDir } from './run-files.js';
import type { Services } from '../services.js';

export type { CallOutcome, CallSpec } from './batch-types.js';


export interface RunContext<P extends RunParams = RunParams> {
  readonly runId: string;
  readonly params: P;
  readonly dir: string;
  readonly signal: AbortSignal;
  readonly progress: Progress;
  readonly services: Services;
  call<T>(spec: CallSpec<T>): Promise<CallOutcome<T>>;
  /** True once the run is pausing or cancelled: start no new work. */
  shouldStop(): boolean;
  /** Pauses the run when more than 30% of at least 20 items of a stage failed: a provider or prompt problem, not bad luck. */
  checkFailures(stage: string): void;
  /** An earlier run by id or name, its folder, and whether it is still running (an ensemble may take its prompts from one). */
  otherRun(reference: string): { run: RunRecord; dir: string; active: boolean };
  /** Calls a stage keeps in flight: `live` for live calls, a batch's worth when the stage goes to a batch API. */
  window(stage: string, role: StageRole, live: number): number;
  /**
   * The calls a stage is expected to make, for a stage whose total grows as earlier stages answer
   * (distill's validation): auto mode decides on it from the first call, so a stage goes wholly live or wholly to a batch.
   */
  expectCalls(stage: string, calls: number): void;
}

/** What a pipeline returns: the metrics written to metrics.json and the headline numbers. */
export type Pipeline<P extends RunParams = RunParams> = (context: RunContext<P>) => Promise<Record<string, unknown>>;

/** Thrown inside a run to stop it: a pause (resumable) or a cancellation. */
export class RunStop extends Error {
  constructor(readonly status: 'paused' | 'cancelled' | 'interrupted', readonly pause?: RunPause) {
    super(pause?.message ?? status);
  }
}

// A path blocked by a directory is a write error too; store_write_failed is JsonlAppender's wrapper of these.
const writeErrorCodes = new Set(['ENOSPC', 'EACCES', 'EROFS', 'EPERM', 'EDQUOT', 'EIO', 'EISDIR', 'ERR_FS_EISDIR', 'ENOTDIR', 'store_write_failed']);
const failureThreshold = { minItems: 20, fraction: 0.3 };

export interface ScheduledCheck {
  cancel(): void;
}
/** Runs `check` after `ms` milliseconds: how the month watcher waits for the next budget month. */
export type ScheduleCheck = (check: () => void, ms: number) => ScheduledCheck;

const scheduleWithTimer: ScheduleCheck = (check, ms) => {
  // unref: a pending month check never keeps the process alive on its own.
  const timer = setTimeout(check, ms).unref();
  return { cancel: () => clearTimeout(timer) };
};

interface ActiveRun {
  controller: AbortController;
  progress: Progress;
  done: Promise<RunRecord>;
  stop?: RunStop;
  batcher?: RunBatcher;
  /** Expected calls per stage (RunContext.expectCalls), beside the totals progress knows so far. */
  expected: Map<string, number>;
}

export class RunEngine extends EventEmitter {
  private readonly active = new Map<string, ActiveRun>();
  private readonly pipelines = new Map<RunKind, Pipeline>();
  /** Set while watchBudgetMonths runs: cancels the next month's check. */
  private nextMonthCheck: ScheduledCheck | undefined;
  private watchingMonths = false;

  constructor(private readonly services: Services, private readonly batching: BatchingOptions = {}) {
    super();
  }

  register<P extends RunParams>(kind: RunKind, pipeline: Pipeline<P>): void {
    // A run's kind says whose params it stored; start() took them from that pipeline's start function.
    this.pipelines.set(kind, pipeline as Pipeline);
  }

  runDir(runId: string): string {
    return runDir(this.services.config.home, runId);
  }

  /** Runs left `running` by a process that died are marked interrupted; resume_run continues them. */
  async recoverInterrupted(): Promise<string[]> {
    const stale = this.services.catalog.listRuns({ status: 'running' }).filter((run) => !this.active.has(run.id));
    for (const run of stale) {
      await this.services.catalog.patchRun(run.id, { status: 'interrupted', pause: undefined });
    }
    return stale.map((run) => run.id);
  }

  async start(kind: RunKind, name: string, params: RunParams): Promise<RunRecord> {
    const now = new Date();
    const id = `r-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(3).toString('hex')}`;
    const run: RunRecord = { id, name, kind, status: 'running', params, createdAt: now.toISOString(), updatedAt: now.toISOString(), progress: {}, spentUsd: 0 };
    await mkdir(this.runDir(id), { recursive: true });
    await this.services.catalog.putRun(run);
    this.launch(run);
    return run;
  }

  async resume(runId: string, paramOverrides: Record<string, unknown> = {}): Promise<RunRecord> {
    const run = this.get(runId);
    if (this.active.has(run.id)) throw new InputError(`Run ${run.id} is already running; watch it with run_status.`, 'run_active');
    if (run.status === 'completed') throw new InputError(`Run ${run.id} has already completed; nothing to resume.`, 'run_completed');
    const updated = await this.services.catalog.patchRun(run.id, { status: 'running', pause: undefined, error: undefined, params: { ...run.params, ...paramOverrides } });
    this.launch(updated);
    return updated;
  }

  async cancel(runId: string): Promise<RunRecord> {
    const run = this.get(runId);
    const active = this.active.get(run.id);
    if (active) {
      active.stop ??= new RunStop('cancelled');
      active.controller.abort(new RunStop('cancelled'));
      return active.done;
    }
    if (run.status === 'completed' || run.status === 'cancelled') return run;
    return this.services.catalog.patchRun(run.id, { status: 'cancelled', pause: undefined, finishedAt: new Date().toISOString() });
  }

  /** A run by id, by readable name, or the most recent one when no reference is given. */
  get(reference?: string): RunRecord {
    const runs = this.services.catalog.listRuns();
    if (!reference) {
      const latest = runs[0];
      if (!latest) throw new InputError('There are no runs yet. Start one with distill_file (or check the cost first with dry_run: true).', 'run_not_found');
      return latest;
    }
    const exact = runs.find((run) => run.id === reference) ?? runs.find((run) => run.name === reference);
    if (exact) return exact;
    const partial = runs.filter((run) => run.id.startsWith(reference) || run.name.toLowerCase().includes(reference.toLowerCase()));
    if (partial.length === 1) return partial[0]!;
    if (partial.length > 1) {
      throw new InputError(`"${reference}" matches ${partial.length} runs: ${partial.slice(0, 5).map((run) => `${run.id} (${run.name})`).join(', ')}. Pass one of these ids.`, 'run_ambiguous');
    }
    throw new InputError(`No run "${reference}". list_runs shows the runs there are${runs[0] ? `; the latest is ${runs[0].id} (${runs[0].name})` : ''}.`, 'run_not_found');
  }

  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  liveProgress(runId: string): Progress | undefined {
    return this.active.get(runId)?.progress;
  }

  /** The batches of an active run (provider, id, requests, state, counts, times). */
  liveBatches(runId: string) {
    return this.active.get(runId)?.batcher?.views();
  }

  /** Resolves when the run stops for any reason (completed, paused, cancelled, failed). */
  async wait(runId: string): Promise<RunRecord> {
    const active = this.active.get(runId);
    return active ? active.done : this.get(runId);
  }

  /**
   * Runs that stopped with batches still out at a provider (the process was closed or killed): resumed
   * at serve's start, so those batches are polled and their runs carried on.
   */
  async resumeBatchesOut(): Promise<string[]> {
    const resumed: string[] = [];
    for (const run of this.services.catalog.listRuns({ status: 'interrupted' })) {
      if (this.active.has(run.id) || !(await hasBatchesOut(this.runDir(run.id)))) continue;
      await this.resume(run.id);
      resumed.push(run.id);
    }
    if (resumed.length) this.services.log.info('resumed runs with batches out', { runIds: resumed });
    return resumed;
  }

  /** Resumes runs paused for budget that the budget can now cover (after a raise or a new month). */
  async resumeBudgetPaused(): Promise<string[]> {
    const resumed: string[] = [];
    for (const run of this.services.catalog.listRuns({ status: 'paused' })) {
      if (run.pause?.reason !== 'budget' || run.pause.figures?.scope_run) continue;
      const needed = run.pause.figures?.needed_usd ?? 0;
      if (this.services.guard.canCover(needed)) {
        await this.resume(run.id);
        resumed.push(run.id);
      }
    }
    return resumed;
  }

  /**
   * For a long-lived server: runs paused for the month's budget resume once the budget allows, which
   * a new budget month does. Checked now (a server started in a new month) and just after each
   * month's end while the server runs. Runs stopped by their own max_usd stay paused. Each check
   * emits 'budget-months-checked' with the runs it resumed; `schedule` (a timer by default) lets a
   * test with its own clock fire the next check itself.
   */
  watchBudgetMonths(schedule: ScheduleCheck = scheduleWithTimer): void {
    const check = async () => {
      let resumed: string[] = [];
      try {
        resumed = await this.resumeBudgetPaused();
        if (resumed.length > 0) this.services.log.info('resumed runs paused for the month budget', { runIds: resumed });
      } catch (error) {
        this.services.log.warn('could not resume runs paused for budget', { error: errorMessage(error) });
      }
      this.emit('budget-months-checked', resumed);
    };
    const arm = () => {
      if (!this.watchingMonths) return;
      // A timer fires at most 2^31-1 ms (24.8 days) ahead; a month is longer, so it may check early and re-arm.
      const wait = Math.min(Math.max(this.services.guard.msToNextMonth(), 0) + 1000, 2 ** 31 - 1);
      this.nextMonthCheck = schedule(() => void check().finally(arm), wait);
    };
    this.nextMonthCheck?.cancel();
    this.watchingMonths = true;
    void check();
    arm();
  }

  async shutdown(): Promise<void> {
    this.watchingMonths = false;
    this.nextMonthCheck?.cancel();
    for (const active of this.active.values()) {
      // Not a pause with a reason to fix: the run simply stopped with the process, as after a crash.
      active.stop ??= new RunStop('interrupted');
      active.controller.abort(active.stop);
    }
    await Promise.allSettled([...this.active.values()].map((active) => active.done));
  }

  private launch(run: RunRecord): void {
    const pipeline = this.pipelines.get(run.kind);
    if (!pipeline) throw new InputError(`No pipeline is registered for ${run.kind} runs.`);
    const controller = new AbortController();
    // Every call in flight listens on the run's signal; hundreds at once are expected, not a leak.
    setMaxListeners(0, controller.signal);
    const progress = new Progress(run.progress as never);
    const entry: ActiveRun = { controller, progress, done: Promise.resolve(run), expected: new Map() };
    this.active.set(run.id, entry);
    entry.done = this.execute(run, pipeline, entry).finally(() => this.active.delete(run.id));
  }

  private async execute(run: RunRecord, pipeline: Pipeline, entry: ActiveRun): Promise<RunRecord> {
    const { catalog, ledger } = this.services;
    const dir = this.runDir(run.id);
    let journal: CallJournal | undefined;
    const persist = async (patch: Partial<RunRecord> = {}) => {
      const batches = entry.batcher?.views() ?? [];
      const record = await catalog.patchRun(run.id, { progress: { ...entry.progress.snapshot(), etaSeconds: entry.progress.etaSeconds(), ...(batches.length ? { batches } : {}) }, spentUsd: ledger.runSpent(run.id), ...patch });
      this.emit('progress', record);
      return record;
    };
    const timer = setInterval(() => void persist().catch(() => undefined), 1000);
    timer.unref();
    const runCapUsd = run.params.max_usd;
    try {
      journal = await CallJournal.open(dir);
      entry.batcher = await RunBatcher.open(this.services, run.id, dir, runCapUsd, this.batching);
      const context = this.context(run, dir, journal, entry);
      const metrics = await pipeline(context);
      await entry.batcher.finish('drain');
      if (entry.stop) throw entry.stop;
      const batches = entry.batcher.views();
      return await persist({ status: 'completed', finishedAt: new Date().toISOString(), progress: { ...entry.progress.snapshot(), metrics, ...(batches.length ? { batches } : {}) } });
    } catch (error) {
      const stop = entry.stop ?? (error instanceof RunStop ? error : undefined);
      // Batches out are seen to the end (cancelled first on cancel_run), so their cost is in the ledger before the run stops; a process that is going leaves them for the next one.
      await entry.batcher?.finish(stop?.status === 'cancelled' ? 'cancel' : stop?.status === 'interrupted' ? 'leave' : 'drain').catch((failure) => this.services.log.warn('batches could not be finished', { runId: run.id, error: errorMessage(failure) }));
      if (stop) return await persist({ status: stop.status, pause: stop.pause, ...(stop.status === 'cancelled' ? { finishedAt: new Date().toISOString() } : {}) });
      const code = (error as NodeJS.ErrnoException).code;
      if (code && writeErrorCodes.has(code)) {
        const message = `Writing the run's files failed (${code}: ${errorMessage(error)}). Check ${dir}: free disk space, fix its permissions, or move away whatever stands where a run file should be; then resume_run.`;
        return await persist({ status: 'paused', pause: { reason: 'write_error', message } });
      }
      const message = error instanceof DistilleryError ? error.message : `Unexpected error: ${errorMessage(error)}`;
      this.services.log.error('run failed', { runId: run.id, error: errorMessage(error) });
      return await persist({ status: 'failed', error: message, finishedAt: new Date().toISOString() });
    } finally {
      clearInterval(timer);
      await journal?.close().catch(() => undefined);
    }
  }

  private context(run: RunRecord, dir: string, journal: CallJournal, entry: ActiveRun): RunContext {
    const { llm, config } = this.services;
    const { controller, progress } = entry;
    const batcher = entry.batcher!;
    const mode = (run.params.mode as RunMode | undefined) ?? 'live';
    const stop = (value: RunStop): never => {
      entry.stop ??= value;
      batcher.stopWaiting(entry.stop);
      throw entry.stop;
    };
    controller.signal.addEventListener('abort', () => batcher.stopWaiting(entry.stop ?? new RunStop('cancelled')), { once: true });
    const batched = (stage: string, role: StageRole) => RunBatcher.wants(mode, llm.resolve(role), stageCalls(entry, stage), config);
    return {
      runId: run.id,
      params: run.params,
      dir,
      signal: controller.signal,
      progress,
      services: this.services,
      shouldStop: () => entry.stop !== undefined || controller.signal.aborted,
      otherRun: (reference) => {
        const other = this.get(reference);
        return { run: other, dir: this.runDir(other.id), active: this.isActive(other.id) };
      },
      checkFailures: (stage) => {
        const { done, failed } = progress.stage(stage);
        if (done >= failureThreshold.minItems && failed / done > failureThreshold.fraction) {
          const reasons = Object.entries(progress.data.drops).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, n]) => `${reason} ×${n}`).join(', ');
          stop(new RunStop('paused', { reason: 'failures', message: `${failed} of ${done} ${stage} items failed (${reasons}). Check the provider and model in check_setup, then resume_run.`, figures: { failed, done } }));
        }
      },
      window: (stage, role, live) => (batched(stage, role) ? Math.max(live, config.batch.maxRequests) : live),
      expectCalls: (stage, calls) => void entry.expected.set(stage, calls),
      call: <T>(spec: CallSpec<T>) => this.call(spec, run, journal, entry, mode, stop),
    };
  }

  /** One call: from the journal, through a batch, or live (after DeepSeek's off-peak wait in batch and auto mode). */
  private async call<T>(spec: CallSpec<T>, run: RunRecord, journal: CallJournal, entry: ActiveRun, mode: RunMode, stop: (value: RunStop) => never): Promise<CallOutcome<T>> {
    const { llm, config } = this.services;
    const { progress, batcher } = entry;
    const target = llm.resolve(spec.role, spec.target);
    const key = stableKey(spec.stage, spec.sampleKey, spec.promptHash, target.provider.name, target.model);
    const recorded = journal.take(key);
    if (recorded) {
      progress.cost(spec.stage, recorded.costUsd, recorded.usage, true);
      progress.retried(recorded.retries ?? []);
      return recorded.outcome === 'ok'
        ? { ok: true, value: recorded.value as T, costUsd: recorded.costUsd, replayed: true, provider: recorded.provider, model: recorded.model }
        : { ok: false, reason: recorded.reason ?? 'failed', message: recorded.message ?? 'failed', costUsd: recorded.costUsd };
    }
    if (entry.stop) throw entry.stop;
    const base = { key, stage: spec.stage, sampleKey: spec.sampleKey, provider: target.provider.name, model: target.model, at: new Date().toISOString() };
    const prior = { costUsd: 0, usage: emptyUsage(), retries: [] as string[] };
    try {
      if (batcher && RunBatcher.wants(mode, target, stageCalls(entry, spec.stage), config)) {
        const answer = await batchedCall(batcher, key, spec, target);
        if (answer.ok) {
          await journal.record({ ...base, outcome: 'ok', value: answer.value, usage: answer.usage, costUsd: answer.costUsd, attempts: 1, retries: [] });
          progress.cost(spec.stage, answer.costUsd, answer.usage, false);
          return { ok: true, value: answer.value, costUsd: answer.costUsd, replayed: false, provider: target.provider.name, model: target.model };
        }
        // Errored, expired or unusable: sent again live, where retries and the re-ask apply; counted under its reason.
        Object.assign(prior, { costUsd: answer.costUsd, usage: answer.usage, retries: [answer.retry] });
      } else if (mode !== 'live' && run.params.deepseek_off_peak !== false && target.price.peak) {
        const clock = { now: () => this.batching.now?.() ?? new Date(), sleep: this.batching.sleep ?? sleep };
        if ((await waitForOffPeak(target.price, clock, entry.controller.signal)) > 0) progress.count('off_peak_waits');
      }
      return await this.live(spec, run, journal, entry, base, prior);
    } catch (error) {
      if (entry.stop) throw entry.stop;
      if (error instanceof BudgetError) {
        const scope = error.figures.scope;
        return stop(new RunStop('paused', { reason: 'budget', message: error.message, figures: { needed_usd: error.figures.neededUsd, available_usd: error.figures.availableUsd, ...(scope === 'run' ? { scope_run: 1 } : {}) } }));
      }
      if (error instanceof ProviderError && error.kind === 'cancelled') return stop(new RunStop('cancelled'));
      if (error instanceof ProviderError && error.isFatal) return stop(new RunStop('paused', { reason: 'provider', message: error.message }));
      if (error instanceof CallFailedError || error instanceof ProviderError) {
        const failure = error instanceof CallFailedError
          ? { reason: error.reason, message: error.message, usage: addUsage(prior.usage, error.usage), costUsd: prior.costUsd + error.costUsd, attempts: error.attempts, retries: [...prior.retries, ...error.retries] }
          : { reason: error.code, message: error.message, usage: prior.usage, costUsd: prior.costUsd, attempts: 1, retries: prior.retries };
        await journal.record({ ...base, outcome: 'failed', ...failure });
        progress.cost(spec.stage, failure.costUsd, failure.usage, false);
        progress.retried(failure.retries);
        return { ok: false, reason: failure.reason, message: failure.message, costUsd: failure.costUsd };
      }
      throw error;
    }
  }

  private async live<T>(spec: CallSpec<T>, run: RunRecord, journal: CallJournal, entry: ActiveRun, base: Omit<JournalRecord, 'outcome' | 'usage' | 'costUsd' | 'attempts'>, prior: { costUsd: number; usage: Usage; retries: string[] }): Promise<CallOutcome<T>> {
    const runCapUsd = run.params.max_usd;
    const { progress, batcher } = entry;
    batcher?.liveStarted();
    try {
      const result = await this.services.llm.complete(
        { ...spec, runId: run.id, signal: entry.controller.signal },
        { runCapUsd, onResult: (answer) => journal.record({ ...base, outcome: 'ok', value: answer.value, usage: addUsage(prior.usage, answer.usage), costUsd: prior.costUsd + answer.costUsd, attempts: answer.attempts, retries: [...prior.retries, ...answer.retries] }) },
      );
      progress.cost(spec.stage, prior.costUsd + result.costUsd, addUsage(prior.usage, result.usage), false);
      progress.retried([...prior.retries, ...result.retries]);
      return { ok: true, value: result.value, costUsd: prior.costUsd + result.costUsd, replayed: false, provider: result.provider, model: result.model };
    } finally {
      batcher?.liveEnded();
    }
  }
}

export type { RunStatus };

/** What auto mode judges a stage's size by: its expected calls, or the total known so far when larger. */
function stageCalls(entry: ActiveRun, stage: string): number {
  return Math.max(entry.expected.get(stage) ?? 0, entry.progress.stage(stage).total ?? 0);
}
