/** A run's counters: stage progress, failures by reason, cost and tokens. Plain data, persisted in the catalog. */
import { addUsage, emptyUsage, type Usage } from '../llm/types.js';

export interface StageProgress {
  total?: number;
  done: number;
  ok: number;
  failed: number;
  costUsd: number;
}

export interface ProgressData {
  stages: Record<string, StageProgress>;
  /** Items dropped or failed, by reason (e.g. `duplicate`, `output_malformed_json`). */
  drops: Record<string, number>;
  counts: Record<string, number>;
  /** Attempts that failed and were retried or re-asked, by reason: absorbed, but counted. */
  retries: Record<string, number>;
  lastErrors: { at: string; stage: string; message: string }[];
  usage: Usage;
  costUsd: number;
  /** Calls answered from the journal on resume (not paid again). */
  replayedCalls: number;
  paidCalls: number;
  startedAt: string;
  elapsedSeconds: number;
}

export class Progress {
  readonly data: ProgressData;
  private readonly started = Date.now();
  private readonly elapsedBefore: number;

  constructor(previous?: Partial<ProgressData>) {
    this.elapsedBefore = previous?.elapsedSeconds ?? 0;
    this.data = {
      stages: {},
      drops: {},
      counts: {},
      retries: {},
      lastErrors: previous?.lastErrors ?? [],
      usage: emptyUsage(),
      costUsd: 0,
      replayedCalls: 0,
      paidCalls: 0,
      startedAt: previous?.startedAt ?? new Date().toISOString(),
      elapsedSeconds: this.elapsedBefore,
    };
  }

  stage(name: string): StageProgress {
    return (this.data.stages[name] ??= { done: 0, ok: 0, failed: 0, costUsd: 0 });
  }

  setTotal(stage: string, total: number): void {
    this.stage(stage).total = total;
  }

  addTotal(stage: string, amount: number): void {
    const progress = this.stage(stage);
    progress.total = (progress.total ?? 0) + amount;
  }

  succeeded(stage: string): void {
    const progress = this.stage(stage);
    progress.done++;
    progress.ok++;
  }

  failed(stage: string, reason: string, message?: string): void {
    const progress = this.stage(stage);
    progress.done++;
    progress.failed++;
    this.drop(reason);
    if (message) this.error(stage, message);
  }

  drop(reason: string, amount = 1): void {
    this.data.drops[reason] = (this.data.drops[reason] ?? 0) + amount;
  }

  count(name: string, amount = 1): void {
    this.data.counts[name] = (this.data.counts[name] ?? 0) + amount;
  }

  retried(reasons: string[]): void {
    for (const reason of reasons) this.data.retries[reason] = (this.data.retries[reason] ?? 0) + 1;
  }

  error(stage: string, message: string): void {
    this.data.lastErrors.push({ at: new Date().toISOString(), stage, message });
    if (this.data.lastErrors.length > 5) this.data.lastErrors.shift();
  }

  cost(stage: string, costUsd: number, usage: Usage, replayed: boolean): void {
    this.stage(stage).costUsd += costUsd;
    this.data.costUsd += costUsd;
    this.data.usage = addUsage(this.data.usage, usage);
    if (replayed) this.data.replayedCalls++;
    else this.data.paidCalls++;
  }

  snapshot(): ProgressData {
    this.data.elapsedSeconds = this.elapsedBefore + (Date.now() - this.started) / 1000;
    return structuredClone(this.data);
  }

  /** Fraction of known work done, over stages that know their total. */
  fractionDone(): number | undefined {
    const stages = Object.values(this.data.stages).filter((stage) => stage.total !== undefined && stage.total > 0);
    if (stages.length === 0) return undefined;
    const total = stages.reduce((sum, stage) => sum + (stage.total ?? 0), 0);
    const done = stages.reduce((sum, stage) => sum + Math.min(stage.done, stage.total ?? 0), 0);
    return done / total;
  }

  /** Seconds left, from the pace of this session (replays excluded from neither: they are fast and early). */
  etaSeconds(): number | undefined {
    const fraction = this.fractionDone();
    const elapsed = (Date.now() - this.started) / 1000;
    if (fraction === undefined || fraction <= 0.02 || elapsed < 1) return undefined;
    return (elapsed * (1 - fraction)) / fraction;
  }
}
