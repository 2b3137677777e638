import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetGuard, type BudgetOptions } from '../../src/budget/guard.js';
import { BudgetError, DistilleryError } from '../../src/errors.js';
import { emptyUsage } from '../../src/llm/types.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { Ledger, type LedgerEntry } from '../../src/store/ledger.js';

let home: string;
let ledger: Ledger;
let now: Date;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'distillery-budget-'));
  ledger = await Ledger.open(home);
  now = new Date('2026-11-20T12:00:00Z');
});
afterEach(async () => {
  await ledger.close();
  await rm(home, { recursive: true, force: true });
});

function guardWith(options: Partial<BudgetOptions> = {}): BudgetGuard {
  return new BudgetGuard(ledger, { monthlyUsd: 10, reserveFraction: 0.2, monthStartDay: 1, now: () => now, ...options });
}

function call(costUsd: number, runId?: string): Omit<LedgerEntry, 'month' | 'reservedUsd'> {
  return { at: now.toISOString(), stage: 'test.call', provider: 'fake', model: 'fake-model', usage: emptyUsage(), costUsd, outcome: 'ok', durationMs: 5, ...(runId ? { runId } : {}) };
}

async function spend(guard: BudgetGuard, costUsd: number, options: { runId?: string; useReserve?: boolean } = {}): Promise<void> {
  await guard.commit(guard.reserve(costUsd, options), call(costUsd, options.runId));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refusal(fn: () => unknown): BudgetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BudgetError);
    return error as BudgetError;
  }
  throw new Error('expected a BudgetError, but the call was allowed');
}

describe('BudgetGuard', () => {
  it('never lets 200 concurrent calls spend past budget minus reserve, and the ledger adds up', async () => {
    const guard = guardWith(); // $10 budget, $2 reserve: $8 covers 50 calls of $0.16
    const perCall = 0.16;
    let worstCommitted = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        await sleep(Math.random() * 20);
        let reservation;
        try {
          reservation = guard.reserve(perCall);
        } catch (error) {
          return error;
        }
        const held = guard.status();
        worstCommitted = Math.max(worstCommitted, held.spentUsd + held.reservedUsd);
        await sleep(Math.random() * 10);
        await guard.commit(reservation, call(perCall * (0.5 + Math.random() / 2)));
        return 'sent';
      }),
    );
    const sent = outcomes.filter((outcome) => outcome === 'sent').length;
    const refused = outcomes.filter((outcome) => outcome !== 'sent') as BudgetError[];
    const status = guard.status();

    expect(sent).toBeGreaterThanOrEqual(50);
    expect(refused.length).toBeGreaterThan(0);
    expect(sent + refused.length).toBe(200);
    expect(worstCommitted).toBeLessThanOrEqual(8 + 1e-9);
    expect(status.spentUsd).toBeLessThanOrEqual(8 + 1e-9);
    expect(status.reservedUsd).toBe(0);
    for (const error of refused) {
      expect(error).toBeInstanceOf(BudgetError);
      expect(error.figures.scope).toBe('month');
      expect(error.figures.neededUsd).toBe(perCall);
      expect(error.figures.availableUsd).toBeLessThan(perCall);
      expect(error.message).toMatch(/^Budget: this call needs about \$0\.160 but \$\d\.\d+ of the \$10\.00 monthly budget remains/);
    }
    const entries = await readJsonlArray<LedgerEntry>(path.join(home, 'ledger', '2026-11.jsonl'));
    expect(entries).toHaveLength(sent);
    expect(entries.reduce((sum, entry) => sum + entry.costUsd, 0)).toBeCloseTo(status.spentUsd, 9);
    expect(entries.every((entry) => entry.reservedUsd === perCall && entry.costUsd <= entry.reservedUsd)).toBe(true);
  });

  it('explains a refusal with what the call needs, what remains, the reserve and the next step', async () => {
    const guard = guardWith({ monthlyUsd: 100 });
    await spend(guard, 79.9969);
    const error = refusal(() => guard.reserve(0.0042));
    expect(error.message).toBe(
      'Budget: this call needs about $0.0042 but $0.0031 of the $100.00 monthly budget remains ($20.00 reserve held back). ' +
        'Raise the budget (set_budget, or DISTILLERY_BUDGET_USD) or wait for next month (starts 2026-12-01).',
    );
    expect(error.figures).toEqual({ neededUsd: 0.0042, availableUsd: expect.closeTo(0.0031, 9), scope: 'month' });
  });

  it('lets retries dip into the reserve but never past the budget', async () => {
    const guard = guardWith();
    await spend(guard, 8);
    expect(guard.available()).toBe(0);
    expect(refusal(() => guard.reserve(0.01)).figures.availableUsd).toBe(0);
    expect(guard.available({ useReserve: true })).toBeCloseTo(2, 9);

    const retry = guard.reserve(1.5, { useReserve: true });
    expect(retry.useReserve).toBe(true);
    const tooMuch = refusal(() => guard.reserve(0.6, { useReserve: true }));
    expect(tooMuch.message).toContain('including the $2.00 reserve, $1.50 held for calls in flight');
    expect(tooMuch.figures.availableUsd).toBeCloseTo(0.5, 9);
    guard.release(retry);
    await spend(guard, 2, { useReserve: true });
    expect(guard.status()).toMatchObject({ spentUsd: 10, remainingUsd: 0, availableForRunsUsd: 0 });
    refusal(() => guard.reserve(0.0001, { useReserve: true }));
  });

  it("caps a run at its max_usd across months, counting the run's holds", async () => {
    const guard = guardWith({ monthlyUsd: 100 });
    await spend(guard, 1.5, { runId: 'r-1' });
    now = new Date('2026-12-02T00:00:00Z');
    await spend(guard, 0.48, { runId: 'r-1' });
    const hold = guard.reserve(0.01, { runId: 'r-1', runCapUsd: 2 });
    expect(guard.canCover(0.02, { runId: 'r-1', runCapUsd: 2 })).toBe(false);
    expect(guard.canCover(0.01, { runId: 'r-1', runCapUsd: 2 })).toBe(true);
    guard.release(hold);

    const error = refusal(() => guard.reserve(0.05, { runId: 'r-1', runCapUsd: 2 }));
    expect(error.message).toBe('Run r-1 has spent $1.98 of its max_usd $2.00; the next call needs about $0.050. Resume with a higher max_usd.');
    expect(error.figures.scope).toBe('run');
    expect(error.figures.availableUsd).toBeCloseTo(0.02, 9);
    expect(guard.available({ runId: 'r-1', runCapUsd: 2 })).toBeCloseTo(0.02, 9);
    expect(() => guard.reserve(0.05, { runId: 'r-2', runCapUsd: 2 })).not.toThrow();
    expect(() => guard.reserve(0.05, { runId: 'r-1', runCapUsd: 3 })).not.toThrow();
  });

  it('starts a new month at zero, keeps past months in status, and books a hold in the month it was made', async () => {
    const guard = guardWith();
    await spend(guard, 3);
    const lateHold = guard.reserve(0.5);
    now = new Date('2026-12-01T00:00:01Z');
    const december = guard.status();
    expect(december).toMatchObject({ month: '2026-12', spentUsd: 0, reservedUsd: 0, calls: 0, availableForRunsUsd: 8 });
    expect(december.pastMonths).toEqual([{ month: '2026-11', spentUsd: 3, calls: 1 }]);
    expect(guard.available()).toBe(8);

    await guard.commit(lateHold, call(0.4));
    expect(guard.status('2026-11')).toMatchObject({ spentUsd: 3.4, reservedUsd: 0, calls: 2 });
    expect(guard.status().spentUsd).toBe(0);
    await expect(guard.commit(lateHold, call(0.4))).rejects.toThrow(/already committed or released/);
  });

  it('uses the configured month start day', async () => {
    const guard = guardWith({ monthStartDay: 15 });
    now = new Date('2026-12-10T00:00:00Z');
    await spend(guard, 1);
    expect(guard.status().month).toBe('2026-11');
    now = new Date('2026-12-15T00:00:00Z');
    expect(guard.status()).toMatchObject({ month: '2026-12', spentUsd: 0, pastMonths: [{ month: '2026-11', spentUsd: 1, calls: 1 }] });
    expect(refusal(() => guard.reserve(9)).message).toContain('wait for next month (starts 2027-01-15)');
  });

  it('raises alerts at 50%, 80% and 100% of the budget', async () => {
    const guard = guardWith({ monthlyUsd: 100 });
    await spend(guard, 49);
    expect(guard.status().alerts).toEqual([]);
    await spend(guard, 1);
    expect(guard.status().alerts).toEqual(['50% of the $100.00 budget for 2026-11 is spent ($50.00).']);
    await spend(guard, 30);
    await spend(guard, 1.2, { useReserve: true });
    const atEighty = guard.status();
    expect(atEighty.percentUsed).toBe(81.2);
    expect(atEighty.alerts[0]).toBe('80% of the $100.00 budget for 2026-11 is spent ($81.20).');
    expect(atEighty.alerts[1]).toMatch(/reached the \$20\.00 reserve/);
    await spend(guard, 18.8, { useReserve: true });
    expect(guard.status().alerts).toEqual([
      'The $100.00 budget for 2026-11 is fully spent ($100.00); calls are refused until 2026-12-01 or until the budget is raised.',
    ]);
  });

  it('setMonthlyBudget raises what is available', async () => {
    const guard = guardWith();
    await spend(guard, 8);
    expect(guard.canCover(0.5)).toBe(false);
    guard.setMonthlyBudget(20);
    expect(guard.monthlyUsd).toBe(20);
    expect(guard.available()).toBeCloseTo(8, 9); // 20 - 4 reserve - 8 spent
    expect(guard.canCover(0.5)).toBe(true);
    expect(guard.status()).toMatchObject({ budgetUsd: 20, reserveUsd: 4, remainingUsd: 12 });
    expect(() => guard.setMonthlyBudget(-1)).toThrow(/non-negative/);
  });

  it('releases the hold when the ledger write fails, then rethrows', async () => {
    const guard = guardWith();
    await writeFile(path.join(home, 'ledger'), 'a file where the ledger directory should be');
    const reservation = guard.reserve(1);
    const error = await guard.commit(reservation, call(0.7)).catch((caught: unknown) => caught);
    expect((error as DistilleryError).code).toBe('store_write_failed');
    expect(guard.status()).toMatchObject({ reservedUsd: 0, spentUsd: 0.7 });
  });
});
