/**
 * The cost ledger: one append-only JSONL file per budget month, DISTILLERY_HOME/ledger/YYYY-MM.jsonl.
 * Totals live in memory, rebuilt by streaming the files once on open.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { DistilleryError, InputError, errorMessage } from '../errors.js';
import type { Usage } from '../provider-types.js';
import { JsonlAppender, readJsonl } from './jsonl.js';
import { isMonthKey, monthKey } from './month.js';

export interface LedgerEntry {
  at: string;
  month: string;
  runId?: string;
  stage: string;
  sampleKey?: string;
  provider: string;
  model: string;
  usage: Usage;
  reservedUsd: number;
  costUsd: number;
  outcome: 'ok' | 'error';
  error?: string;
  durationMs: number;
  peak?: boolean;
  /** The provider batch id, for a result of a batch API (billed at batch rates). */
  batch?: string;
}

export interface MonthTotals {
  month: string;
  spentUsd: number;
  calls: number;
  byProvider: Record<string, number>;
  byStage: Record<string, number>;
  byRun: Record<string, number>;
  byModel: Record<string, number>;
  /** Spend per UTC day (YYYY-MM-DD), for the dashboard's burn-down. */
  byDay: Record<string, number>;
}

const emptyTotals = (month: string): MonthTotals => ({ month, spentUsd: 0, calls: 0, byProvider: {}, byStage: {}, byRun: {}, byModel: {}, byDay: {} });

function add(record: Record<string, number>, key: string, amount: number): void {
  record[key] = (record[key] ?? 0) + amount;
}

export class Ledger {
  readonly directory: string;
  #monthStartDay: number;
  #totals = new Map<string, MonthTotals>();
  #runSpent = new Map<string, number>();
  #appenders = new Map<string, Promise<JsonlAppender>>();

  private constructor(directory: string, monthStartDay: number) {
    this.directory = directory;
    this.#monthStartDay = monthStartDay;
  }

  static async open(home: string, options: { monthStartDay?: number } = {}): Promise<Ledger> {
    const ledger = new Ledger(path.join(home, 'ledger'), options.monthStartDay ?? 1);
    let names: string[] = [];
    try {
      names = await readdir(ledger.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DistilleryError('store_read_failed', `Could not read the cost ledger in ${ledger.directory}: ${errorMessage(error)}. Make it a readable directory.`);
      }
    }
    for (const name of names.filter((file) => /^\d{4}-\d{2}\.jsonl$/.test(file)).sort()) {
      const fileMonth = name.slice(0, 7);
      for await (const entry of readJsonl<LedgerEntry>(path.join(ledger.directory, name))) {
        ledger.#count({ ...entry, month: entry.month ?? fileMonth });
      }
    }
    return ledger;
  }

  /** Totals change before the write is awaited, so a budget check right after sees this cost. */
  async append(entry: LedgerEntry): Promise<void> {
    const month = entry.month || monthKey(new Date(entry.at), this.#monthStartDay);
    if (!isMonthKey(month)) throw new InputError(`Ledger entry month "${month}" is not of the form YYYY-MM.`);
    if (!Number.isFinite(entry.costUsd) || entry.costUsd < 0) {
      throw new InputError(`Ledger entry cost ${entry.costUsd} for ${entry.provider}/${entry.model} is not a non-negative number.`);
    }
    const record = { ...entry, month };
    this.#count(record);
    const appender = await this.#appender(month);
    await appender.append(record);
  }

  totals(month: string): MonthTotals {
    const totals = this.#totals.get(month);
    if (!totals) return emptyTotals(month);
    return { ...totals, byProvider: { ...totals.byProvider }, byStage: { ...totals.byStage }, byRun: { ...totals.byRun }, byModel: { ...totals.byModel }, byDay: { ...totals.byDay } };
  }

  /** What a month has spent, without copying its breakdowns (checked on every budget hold). */
  spentUsd(month: string): number {
    return this.#totals.get(month)?.spentUsd ?? 0;
  }

  /** Months with entries, newest first. */
  months(): string[] {
    return [...this.#totals.keys()].sort().reverse();
  }

  runSpent(runId: string): number {
    return this.#runSpent.get(runId) ?? 0;
  }

  async close(): Promise<void> {
    const appenders = [...this.#appenders.values()];
    this.#appenders.clear();
    for (const appender of appenders) await (await appender.catch(() => undefined))?.close();
  }

  #count(entry: LedgerEntry): void {
    let totals = this.#totals.get(entry.month);
    if (!totals) this.#totals.set(entry.month, (totals = emptyTotals(entry.month)));
    const cost = entry.costUsd;
    totals.spentUsd += cost;
    totals.calls++;
    add(totals.byProvider, entry.provider, cost);
    add(totals.byStage, entry.stage, cost);
    add(totals.byModel, `${entry.provider}/${entry.model}`, cost);
    add(totals.byDay, entry.at.slice(0, 10), cost);
    if (entry.runId !== undefined) {
      add(totals.byRun, entry.runId, cost);
      this.#runSpent.set(entry.runId, (this.#runSpent.get(entry.runId) ?? 0) + cost);
    }
  }

  #appender(month: string): Promise<JsonlAppender> {
    let appender = this.#appenders.get(month);
    if (!appender) {
      appender = JsonlAppender.open(path.join(this.directory, `${month}.jsonl`));
      // A failed open is not cached, so the next append tries again.
      const opening = appender;
      opening.catch(() => this.#appenders.get(month) === opening && this.#appenders.delete(month));
      this.#appenders.set(month, appender);
    }
    return appender;
  }
}
