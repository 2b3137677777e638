/**
 * Reserve-then-commit budget guard. A call holds its worst-case cost before
 * it is sent; the check and the hold happen in one synchronous step, so concurrent callers can never
 * together pass the cap. Spent money comes from the ledger; holds live here, in the month they were made.
 */
import { BudgetError, InputError } from '../errors.js';
import type { Ledger, LedgerEntry } from '../store/ledger.js';
import { monthKey, monthRange } from '../store/month.js';
import { usd } from '../util/format.js';

export interface BudgetOptions {
  monthlyUsd: number;
  reserveFraction: number;
  monthStartDay: number;
  now?: () => Date;
}
export interface Reservation {
  id: number;
  amountUsd: number;
  runId?: string;
  month: string;
  useReserve: boolean;
}
export interface BudgetStatus {
  month: string;
  budgetUsd: number;
  reserveUsd: number;
  spentUsd: number;
  reservedUsd: number;
  /** budget - spent - reserved, at least 0. */
  remainingUsd: number;
  /** budget - reserve - spent - reserved, at least 0. */
  availableForRunsUsd: number;
  percentUsed: number;
  alerts: string[];
  byProvider: Record<string, number>;
  byStage: Record<string, number>;
  byRun: Record<string, number>;
  byModel: Record<string, number>;
  calls: number;
  pastMonths: { month: string; spentUsd: number; calls: number }[];
}
interface CapOptions {
  runId?: string;
  runCapUsd?: number;
  useReserve?: boolean;
}

interface HeldSum {
  usd: number;
  holds: number;
}

/** Adds (sign 1) or removes (sign -1) a hold from a running sum; the last one out resets it to exactly 0. */
function adjust(sums: Map<string, HeldSum>, key: string, amountUsd: number, sign: 1 | -1): void {
  const sum = sums.get(key) ?? { usd: 0, holds: 0 };
  sum.holds += sign;
  sum.usd += sign * amountUsd;
  if (sum.holds === 0) sums.delete(key);
  else sums.set(key, sum);
}

/** Float sums drift by far less than this; it keeps an exact fit from being refused. */
const epsilon = 1e-9;

function checkAmount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) throw new InputError(`${name} must be a non-negative number of US dollars, not ${value}.`);
}

export class BudgetGuard {
  readonly #ledger: Ledger;
  readonly #options: Required<BudgetOptions>;
  readonly #holds = new Map<number, Reservation>();
  /** Sums of the holds by month and by run, kept as holds come and go: a check reads one entry. */
  readonly #heldByMonth = new Map<string, HeldSum>();
  readonly #heldByRun = new Map<string, HeldSum>();
  #nextId = 1;

  constructor(ledger: Ledger, options: BudgetOptions) {
    checkAmount('The monthly budget', options.monthlyUsd);
    if (!(options.reserveFraction >= 0 && options.reserveFraction < 1)) {
      throw new InputError(`The budget reserve fraction must be from 0 to below 1, not ${options.reserveFraction}.`);
    }
    monthRange('2000-01', options.monthStartDay); // validates the start day
    this.#ledger = ledger;
    this.#options = { now: () => new Date(), ...options };
  }

  get monthlyUsd(): number {
    return this.#options.monthlyUsd;
  }

  /** Milliseconds from now to the start of the next budget month, when the month's spending starts from zero. */
  msToNextMonth(): number {
    const now = this.#options.now();
    return this.#monthEnd(monthKey(now, this.#options.monthStartDay)).getTime() - now.getTime();
  }

  /** Raising the budget lets paused runs resume. */
  setMonthlyBudget(usd: number): void {
    checkAmount('The monthly budget', usd);
    this.#options.monthlyUsd = usd;
  }

  reserve(amountUsd: number, options: CapOptions = {}): Reservation {
    checkAmount('A reservation', amountUsd);
    const month = this.#currentMonth();
    const monthAvailable = this.#monthAvailable(month, options.useReserve === true);
    if (amountUsd > monthAvailable + epsilon) throw this.#monthError(month, amountUsd, monthAvailable, options.useReserve === true);
    if (options.runId !== undefined && options.runCapUsd !== undefined) {
      const runAvailable = this.#runAvailable(options.runId, options.runCapUsd);
      if (amountUsd > runAvailable + epsilon) throw this.#runError(options.runId, options.runCapUsd, amountUsd, runAvailable);
    }
    const reservation: Reservation = { id: this.#nextId++, amountUsd, month, useReserve: options.useReserve === true };
    if (options.runId !== undefined) reservation.runId = options.runId;
    this.#holds.set(reservation.id, reservation);
    this.#track(reservation, 1);
    return reservation;
  }

  /**
   * Restores a hold that an earlier process made for requests it submitted in a batch still out at
   * the provider. The money was checked against the cap when that hold was made and may be spent
   * now whatever the budget says, so it is held again without a check, in its own month.
   */
  adopt(amountUsd: number, options: { runId?: string; month: string }): Reservation {
    checkAmount('A reservation', amountUsd);
    const reservation: Reservation = { id: this.#nextId++, amountUsd, month: options.month, useReserve: false };
    if (options.runId !== undefined) reservation.runId = options.runId;
    this.#holds.set(reservation.id, reservation);
    this.#track(reservation, 1);
    return reservation;
  }

  /** Records the real cost (in the reservation's month) and releases the hold, even if the write fails. */
  async commit(reservation: Reservation, entry: Omit<LedgerEntry, 'month' | 'reservedUsd'>): Promise<void> {
    if (!this.#holds.delete(reservation.id)) {
      throw new InputError(`Reservation ${reservation.id} was already committed or released; its cost was not recorded twice.`);
    }
    this.#track(reservation, -1);
    // Ledger.append counts the cost before its first await, so no check sees neither hold nor cost.
    const record: LedgerEntry = { ...entry, month: reservation.month, reservedUsd: reservation.amountUsd };
    if (reservation.runId !== undefined && record.runId === undefined) record.runId = reservation.runId;
    await this.#ledger.append(record);
  }

  /** Releases a hold whose call was never sent. */
  release(reservation: Reservation): void {
    if (this.#holds.delete(reservation.id)) this.#track(reservation, -1);
  }

  canCover(amountUsd: number, options: { runId?: string; runCapUsd?: number } = {}): boolean {
    return amountUsd <= this.available(options) + epsilon;
  }

  available(options: CapOptions = {}): number {
    const month = this.#monthAvailable(this.#currentMonth(), options.useReserve === true);
    if (options.runId === undefined || options.runCapUsd === undefined) return month;
    return Math.min(month, this.#runAvailable(options.runId, options.runCapUsd));
  }

  status(month = this.#currentMonth()): BudgetStatus {
    const totals = this.#ledger.totals(month);
    const budgetUsd = this.#options.monthlyUsd;
    const reserveUsd = this.#reserveUsd();
    const reservedUsd = this.#heldInMonth(month);
    return {
      month,
      budgetUsd,
      reserveUsd,
      spentUsd: totals.spentUsd,
      reservedUsd,
      remainingUsd: Math.max(0, budgetUsd - totals.spentUsd - reservedUsd),
      availableForRunsUsd: Math.max(0, budgetUsd - reserveUsd - totals.spentUsd - reservedUsd),
      percentUsed: budgetUsd > 0 ? Math.round((totals.spentUsd / budgetUsd) * 1000) / 10 : totals.spentUsd > 0 ? 100 : 0,
      alerts: this.#alerts(month, totals.spentUsd),
      byProvider: totals.byProvider,
      byStage: totals.byStage,
      byRun: totals.byRun,
      byModel: totals.byModel,
      calls: totals.calls,
      pastMonths: this.#ledger
        .months()
        .filter((past) => past < month)
        .map((past) => {
          const pastTotals = this.#ledger.totals(past);
          return { month: past, spentUsd: pastTotals.spentUsd, calls: pastTotals.calls };
        }),
    };
  }

  #currentMonth(): string {
    return monthKey(this.#options.now(), this.#options.monthStartDay);
  }

  #reserveUsd(): number {
    return this.#options.monthlyUsd * this.#options.reserveFraction;
  }

  #track(reservation: Reservation, sign: 1 | -1): void {
    adjust(this.#heldByMonth, reservation.month, reservation.amountUsd, sign);
    if (reservation.runId !== undefined) adjust(this.#heldByRun, reservation.runId, reservation.amountUsd, sign);
  }

  #heldInMonth(month: string): number {
    return this.#heldByMonth.get(month)?.usd ?? 0;
  }

  #heldForRun(runId: string): number {
    return this.#heldByRun.get(runId)?.usd ?? 0;
  }

  #monthAvailable(month: string, useReserve: boolean): number {
    const limit = this.#options.monthlyUsd - (useReserve ? 0 : this.#reserveUsd());
    const used = this.#ledger.spentUsd(month) + this.#heldInMonth(month);
    return Math.max(0, limit - used);
  }

  #runAvailable(runId: string, capUsd: number): number {
    return Math.max(0, capUsd - this.#ledger.runSpent(runId) - this.#heldForRun(runId));
  }

  /** When a budget month ends: the next one starts. */
  #monthEnd(month: string): Date {
    return monthRange(month, this.#options.monthStartDay).end;
  }

  #nextMonthStart(month: string): string {
    return this.#monthEnd(month).toISOString().slice(0, 10);
  }

  #monthError(month: string, neededUsd: number, availableUsd: number, useReserve: boolean): BudgetError {
    const budget = usd(this.#options.monthlyUsd);
    const reserve = useReserve ? `including the ${usd(this.#reserveUsd())} reserve` : `${usd(this.#reserveUsd())} reserve held back`;
    const inFlight = this.#heldInMonth(month);
    const held = inFlight > 0 ? `, ${usd(inFlight)} held for calls in flight` : '';
    return new BudgetError(
      `Budget: this call needs about ${usd(neededUsd)} but ${usd(availableUsd)} of the ${budget} monthly budget remains (${reserve}${held}). ` +
        `Raise the budget (set_budget, or DISTILLERY_BUDGET_USD) or wait for next month (starts ${this.#nextMonthStart(month)}).`,
      { neededUsd, availableUsd, scope: 'month' },
    );
  }

  #runError(runId: string, capUsd: number, neededUsd: number, availableUsd: number): BudgetError {
    const inFlight = this.#heldForRun(runId);
    const held = inFlight > 0 ? ` (plus ${usd(inFlight)} held for calls in flight)` : '';
    return new BudgetError(
      `Run ${runId} has spent ${usd(this.#ledger.runSpent(runId))}${held} of its max_usd ${usd(capUsd)}; the next call needs about ${usd(neededUsd)}. ` +
        `Resume with a higher max_usd.`,
      { neededUsd, availableUsd, scope: 'run' },
    );
  }

  #alerts(month: string, spentUsd: number): string[] {
    const budgetUsd = this.#options.monthlyUsd;
    const budget = usd(budgetUsd);
    const alerts: string[] = [];
    if (spentUsd >= budgetUsd - epsilon) {
      alerts.push(`The ${budget} budget for ${month} is fully spent (${usd(spentUsd)}); calls are refused until ${this.#nextMonthStart(month)} or until the budget is raised.`);
    } else if (spentUsd >= budgetUsd * 0.8) {
      alerts.push(`80% of the ${budget} budget for ${month} is spent (${usd(spentUsd)}).`);
    } else if (spentUsd >= budgetUsd * 0.5) {
      alerts.push(`50% of the ${budget} budget for ${month} is spent (${usd(spentUsd)}).`);
    }
    const reserveUsd = this.#reserveUsd();
    if (reserveUsd > 0 && spentUsd >= budgetUsd - reserveUsd - epsilon && spentUsd < budgetUsd - epsilon) {
      alerts.push(`Spending has reached the ${usd(reserveUsd)} reserve: new calls are refused; only retries and re-asks may use what is left.`);
    }
    return alerts;
  }
}
