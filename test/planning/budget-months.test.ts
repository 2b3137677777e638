import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { billsMaxTokens } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, sharedFake, type TestWorld, textOf } from '../helpers.js';
import type { App } from '../../src/app.js';
import type { ScheduleCheck } from '../../src/pipelines/engine.js';

const fast = { requests_per_minute: 1_000_000 };

/** A paid call recorded the way LlmClient records one: hold, then commit the real cost. */
async function spend(app: App, costUsd: number, at: Date): Promise<void> {
  const hold = app.services.guard.reserve(costUsd, { useReserve: true });
  const usage = { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 100 };
  await app.services.guard.commit(hold, { at: at.toISOString(), stage: 'distill.generate', provider: 'deepseek', model: 'deepseek-v4-flash', usage, costUsd, outcome: 'ok', durationMs: 5 });
}

type Status = { month: string; spent_usd: number; available_for_runs_usd: number; alerts: string[]; past_months: { month: string; spent_usd: number; calls: number }[] };

describe('budget months', () => {
  let world: TestWorld;
  afterAll(async () => world?.cleanup());

  it('starts a new month with nothing spent and keeps the old month in the history', async () => {
    world = await makeWorld();
    const october = new Date(Date.UTC(2026, 9, 20, 12));
    const old = await makeApp(world, { now: () => october });
    await spend(old, 60, october);
    const oldClient = await connectClient(old);
    const then = (await oldClient.callTool({ name: 'budget_status', arguments: {} })).structuredContent as Status;
    expect(then.month).toBe('2026-10');
    expect(then.spent_usd).toBeCloseTo(60, 10);
    expect(then.alerts.join(' ')).toContain('50% of the $100.00 budget for 2026-10 is spent');
    // This month's plan subtracts what is spent: $100 - $20 reserve - $60.
    const octoberPlan = await oldClient.callTool({ name: 'plan_budget', arguments: {} });
    const octoberFigures = octoberPlan.structuredContent as { available_usd: number; spent_usd: number; planned_cost_usd: { high: number } };
    expect(octoberFigures.spent_usd).toBeCloseTo(60, 10);
    expect(octoberFigures.available_usd).toBeCloseTo(20, 10);
    expect(octoberFigures.planned_cost_usd.high).toBeLessThanOrEqual(20 + 1e-9);
    expect(textOf(octoberPlan)).toContain('$60.00 already spent, leaving $20.00 to plan with');
    const nextMonthPlan = (await oldClient.callTool({ name: 'plan_budget', arguments: { month: 'next' } })).structuredContent as { month: string; available_usd: number };
    expect(nextMonthPlan).toMatchObject({ month: '2026-11', available_usd: 80 });
    await oldClient.close();
    await old.close();

    const november = new Date(Date.UTC(2026, 10, 3, 9));
    const app = await makeApp(world, { now: () => november });
    const client = await connectClient(app);
    const status = await client.callTool({ name: 'budget_status', arguments: {} });
    const now = status.structuredContent as Status;
    expect(now.month).toBe('2026-11');
    expect(now.spent_usd).toBe(0);
    expect(now.available_for_runs_usd).toBeCloseTo(80, 10);
    expect(now.alerts).toEqual([]);
    expect(now.past_months).toEqual([{ month: '2026-10', spent_usd: 60, calls: 1 }]);
    expect(textOf(status)).toContain('$80.00 is available for runs');
    expect(textOf(status)).toContain('Earlier months: 2026-10 $60.00');
    const past = (await client.callTool({ name: 'budget_status', arguments: { month: '2026-10' } })).structuredContent as Status;
    expect(past.spent_usd).toBeCloseTo(60, 10);
    const plan = (await client.callTool({ name: 'plan_budget', arguments: {} })).structuredContent as { month: string; spent_usd: number; available_usd: number };
    expect(plan).toMatchObject({ month: '2026-11', spent_usd: 0, available_usd: 80 });
    await client.close();
    await app.close();
  });

  it('counts a month from the configured start day', async () => {
    const local = await makeWorld({ configFile: { providers: { deepseek: fast, openai: fast, anthropic: fast }, budget: { month_start_day: 15 } } });
    const beforeStart = new Date(Date.UTC(2026, 10, 10, 12));
    const early = await makeApp(local, { now: () => beforeStart });
    await spend(early, 30, beforeStart);
    expect(early.services.guard.status()).toMatchObject({ month: '2026-10', spentUsd: 30 });
    await early.close();
    const afterStart = new Date(Date.UTC(2026, 10, 16, 12));
    const late = await makeApp(local, { now: () => afterStart });
    expect(late.services.guard.status()).toMatchObject({ month: '2026-11', spentUsd: 0 });
    expect(late.services.guard.status().pastMonths).toEqual([{ month: '2026-10', spentUsd: 30, calls: 1 }]);
    await late.close();
    await local.cleanup();
  });
});

describe('set_budget and alerts on runs', () => {
  const fake = sharedFake(billsMaxTokens);

  it('a server resumes a run paused for the month budget just after the next budget month begins', async () => {
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'] });
    let clock = new Date(Date.UTC(2026, 10, 28, 12));
    const app = await makeApp(world, { now: () => clock });
    const client = await connectClient(app);
    const document = { path: 'technical_manual.txt', pairs_per_chunk: 2, chunk_tokens: 2000 };
    const dry = await client.callTool({ name: 'distill_file', arguments: { ...document, dry_run: true } });
    const { expected, high } = (dry.structuredContent as { estimate: { cost_usd: { expected: number; high: number } } }).estimate.cost_usd;
    // A month's share for runs of ten times the high estimate: December surely covers the whole run
    // and the worst-case holds of every call its stages keep in flight, however they interleave.
    // November has spent all but the estimate already: the run starts, and its real bill pauses it.
    const forRuns = 10 * high;
    await client.callTool({ name: 'set_budget', arguments: { monthly_budget_usd: forRuns / 0.8 } });
    await spend(app, forRuns - expected * 1.05, clock);
    const started = await client.callTool({ name: 'distill_file', arguments: document });
    const runId = (started.structuredContent as { run_id: string }).run_id;
    expect((await app.engine.wait(runId)).pause?.reason).toBe('budget');

    // Two seconds before December. The check at start may resume the run for what November has
    // left once the calls in flight at the pause are settled; it pauses again on November's budget.
    // The next check is due just after the month ends. The test holds that check and fires it
    // itself once its clock is in December, so nothing hangs on a real timer.
    clock = new Date(Date.UTC(2026, 10, 30, 23, 59, 58));
    const scheduled: { check: () => void; ms: number }[] = [];
    const schedule: ScheduleCheck = (check, ms) => {
      scheduled.push({ check, ms });
      return { cancel: () => undefined };
    };
    const atStart = once(app.engine, 'budget-months-checked');
    app.engine.watchBudgetMonths(schedule);
    await atStart;
    const stillNovember = await app.engine.wait(runId);
    expect(stillNovember.pause?.reason).toBe('budget');
    expect(scheduled.map((next) => next.ms)).toEqual([3000]);
    const novemberSpent = app.services.guard.status().spentUsd;
    clock = new Date(Date.UTC(2026, 11, 1, 0, 0, 5));
    const inDecember = once(app.engine, 'budget-months-checked');
    scheduled[0]!.check();
    const [resumedIds] = (await inDecember) as [string[]];
    expect(resumedIds).toEqual([runId]);
    const resumed = await app.engine.wait(runId);
    expect(resumed.status, JSON.stringify(resumed.pause)).toBe('completed');
    expect(app.services.guard.status('2026-12').spentUsd).toBeGreaterThan(0);
    expect(app.services.guard.status('2026-11').spentUsd).toBeCloseTo(novemberSpent, 10);
    await client.close();
    await app.close();
    await world.cleanup();
  });

  it('resumes a run paused for the month budget when the budget is raised, and not one paused on its own max_usd', async () => {
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'] });
    const saturday = () => new Date(Date.UTC(2026, 10, 28, 12));
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const document = { path: 'technical_manual.txt', pairs_per_chunk: 2, chunk_tokens: 2000 };
    const dry = await client.callTool({ name: 'distill_file', arguments: { ...document, dry_run: true } });
    const expected = (dry.structuredContent as { estimate: { cost_usd: { expected: number } } }).estimate.cost_usd.expected;

    // A budget whose share for runs just covers the estimate: the start is allowed, the real bill is not.
    const lowered = await client.callTool({ name: 'set_budget', arguments: { monthly_budget_usd: (expected * 1.05) / 0.8 } });
    expect(lowered.isError, textOf(lowered)).toBeFalsy();
    const started = await client.callTool({ name: 'distill_file', arguments: document });
    expect(started.isError, textOf(started)).toBeFalsy();
    const monthRun = (started.structuredContent as { run_id: string }).run_id;
    const paused = await app.engine.wait(monthRun);
    expect(paused.status).toBe('paused');
    expect(paused.pause?.reason).toBe('budget');
    expect(paused.pause?.figures?.scope_run).toBeUndefined();

    const status = await client.callTool({ name: 'run_status', arguments: { run_id: monthRun } });
    const view = status.structuredContent as { budget_alerts: string[] };
    expect(view.budget_alerts.length).toBeGreaterThan(0);
    expect(view.budget_alerts).toEqual(app.services.guard.status().alerts);
    expect(textOf(status)).toContain(`Budget alert: ${view.budget_alerts[0]}`);

    const raised = await client.callTool({ name: 'set_budget', arguments: { monthly_budget_usd: 50 } });
    expect(raised.isError, textOf(raised)).toBeFalsy();
    const result = raised.structuredContent as { budget_usd: number; resumed_runs: { run_id: string }[]; still_paused: unknown[] };
    expect(result.budget_usd).toBe(50);
    expect(result.resumed_runs.map((run) => run.run_id)).toEqual([monthRun]);
    expect(textOf(raised)).toContain(`Resumed ${monthRun}`);
    expect((await app.engine.wait(monthRun)).status).toBe('completed');

    // A run stopped by its own cap stays paused: only resume_run with a higher max_usd continues it.
    // The finished run now calibrates the estimate upward (toward what it really cost), but not all the way.
    const calibrated = await client.callTool({ name: 'distill_file', arguments: { ...document, dry_run: true } });
    const calibratedEstimate = (calibrated.structuredContent as { estimate: { cost_usd: { expected: number }; basis: string } }).estimate;
    expect(calibratedEstimate.basis).toMatch(/^calibrated with 1 past distill run:/);
    expect(calibratedEstimate.cost_usd.expected).toBeGreaterThan(expected);
    const capped = await client.callTool({ name: 'distill_file', arguments: { ...document, max_usd: calibratedEstimate.cost_usd.expected * 1.05 } });
    expect(capped.isError, textOf(capped)).toBeFalsy();
    const capRun = (capped.structuredContent as { run_id: string }).run_id;
    const capPaused = await app.engine.wait(capRun);
    expect(capPaused.pause?.figures?.scope_run).toBe(1);
    const again = await client.callTool({ name: 'set_budget', arguments: { monthly_budget_usd: 60 } });
    const againResult = again.structuredContent as { resumed_runs: unknown[]; still_paused: { run_id: string; reason: string }[] };
    expect(againResult.resumed_runs).toEqual([]);
    expect(againResult.still_paused).toEqual([{ run_id: capRun, name: capPaused.name, reason: expect.stringContaining('max_usd') }]);
    expect(app.engine.get(capRun).status).toBe('paused');
    await client.close();
    await app.close();

    // The budget is saved: a restart keeps it, and null goes back to the configured value.
    const restarted = await makeApp(world, { now: saturday });
    expect(restarted.services.guard.monthlyUsd).toBe(60);
    const restartedClient = await connectClient(restarted);
    const reset = await restartedClient.callTool({ name: 'set_budget', arguments: { monthly_budget_usd: null } });
    expect(reset.structuredContent).toMatchObject({ previous_budget_usd: 60, budget_usd: 100, source: 'config' });
    expect(restarted.services.catalog.settings().monthlyBudgetUsd).toBeUndefined();
    await restartedClient.close();
    await restarted.close();
    await world.cleanup();
  });
});
