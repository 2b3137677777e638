/** Batch mode end to end: the three pipelines through the fake's batch APIs, on the real SDKs. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { LedgerEntry } from '../../src/store/ledger.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';

// A Saturday: DeepSeek off-peak, so nothing waits for its window unless a test says so.
const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
const noSleep = () => Promise.resolve();

const fake = sharedFake();

async function runCascade(world: TestWorld, args: Record<string, unknown>, batching = { now: saturday, sleep: noSleep }) {
  const app = await makeApp(world, { now: saturday, batching });
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 60, ...args } });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const run = await app.engine.wait(runId);
  return { app, client, runId, run, dir: app.engine.runDir(runId) };
}

async function ledgerOf(world: TestWorld): Promise<LedgerEntry[]> {
  return readJsonlArray<LedgerEntry>(path.join(world.home, 'ledger', '2026-11.jsonl'));
}

describe('cascade in batch mode', () => {
  it('sends format and validate through the batch APIs at batch rates, each request once, with the same dataset a live run makes', async () => {
    const liveWorld = await makeWorld({ fake });
    const live = await runCascade(liveWorld, { mode: 'live' });
    expect(live.run.status).toBe('completed');
    const liveTrain = await readJsonlArray<Sample>(path.join(live.dir, 'train.jsonl'));
    const liveLedger = await ledgerOf(liveWorld);
    await live.app.close();
    fake.reset();
    fake.responder = (await import('../fakes/distillery-responder.js')).distilleryResponder;

    const world = await makeWorld({ fake });
    const { app, client, run, dir, runId } = await runCascade(world, { mode: "batch" });
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const train = await readJsonlArray<Sample>(path.join(dir, 'train.jsonl'));
    const slot = (sample: Sample) => sample.id.split('-').slice(-2).join('-');
    expect(train.map(slot)).toEqual(liveTrain.map(slot));
    expect(train.map((sample) => sample.output)).toEqual(liveTrain.map((sample) => sample.output));

    const ledger = await ledgerOf(world);
    const batched = ledger.filter((entry) => entry.batch);
    expect(new Set(batched.map((entry) => entry.stage))).toEqual(new Set(['cascade.format', 'cascade.validate']));
    expect(ledger.filter((entry) => entry.provider === 'deepseek' && entry.batch)).toHaveLength(0);
    // Every request went out once, in some batch.
    const submitted = fake.batches.submittedCounts();
    expect(Math.max(...submitted.values())).toBe(1);
    expect(submitted.size).toBe(batched.length);
    // Same tokens, half the price: each batched stage costs half its live cost.
    const stageCost = (entries: LedgerEntry[], stage: string) => entries.filter((entry) => entry.stage === stage).reduce((sum, entry) => sum + entry.costUsd, 0);
    for (const stage of ['cascade.format', 'cascade.validate']) expect(stageCost(ledger, stage)).toBeCloseTo(stageCost(liveLedger, stage) / 2, 9);
    expect(stageCost(ledger, 'cascade.generate')).toBeCloseTo(stageCost(liveLedger, 'cascade.generate'), 9);

    const status = await client.callTool({ name: 'run_status', arguments: { run_id: runId } });
    const batches = (status.structuredContent as { batches: { provider: string; state: string; requests: number; counts: { succeeded: number } }[] }).batches;
    expect(new Set(batches.map((batch) => batch.provider))).toEqual(new Set(['openai', 'anthropic']));
    expect(batches.every((batch) => batch.state === 'ended' && batch.counts.succeeded === batch.requests)).toBe(true);
    expect(app.services.guard.status().reservedUsd).toBe(0);
    await app.close();
  });
});

describe('batch results that fail', () => {
  it('sends errored, expired and unparseable results again live, counted under their reasons: no empty rows', async () => {
    const world = await makeWorld({ fake });
    let index = 0;
    fake.batches.outcome = () => (['errored', 'expired', 'succeeded', 'succeeded', 'succeeded'] as const)[index++ % 5]!;
    const { app, run, dir } = await runCascade(world, { mode: 'batch' });
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const progress = run.progress as { retries: Record<string, number>; stages: Record<string, { failed: number; ok: number; total: number }> };
    expect(progress.retries.batch_errored).toBeGreaterThan(0);
    expect(progress.retries.batch_expired).toBeGreaterThan(0);
    expect(progress.stages['cascade.format']!.failed).toBe(0);
    const validated = await readJsonlArray<Sample>(path.join(dir, 'stage_c_validated.jsonl'));
    expect(validated.length).toBe(progress.stages['cascade.validate']!.ok);
    expect(validated.every((sample) => sample.instruction && sample.output && sample.scores.overall > 0)).toBe(true);
    // The re-sent calls went live, priced live: some format and validate entries carry no batch id.
    const ledger = await ledgerOf(world);
    expect(ledger.filter((entry) => entry.stage === 'cascade.validate' && !entry.batch).length).toBe(progress.retries.batch_errored! + progress.retries.batch_expired! - ledger.filter((entry) => entry.stage === 'cascade.format' && !entry.batch).length);
    expect(app.services.guard.status().reservedUsd).toBe(0);
    await app.close();
  });
});

describe('batch mode and the budget', () => {
  it('never passes the cap with four batch runs at once: holds are taken before each submit, and what cannot be held pauses for budget', async () => {
    const world = await makeWorld({ fake, env: { DISTILLERY_BUDGET_USD: '0.0625' } });
    const app = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: noSleep } });
    const client = await connectClient(app);
    const runs: string[] = [];
    for (const domain of ['medical', 'legal', 'finance', 'education']) {
      const started = await client.callTool({ name: 'start_cascade', arguments: { domain, samples: 60, mode: 'batch' } });
      expect(started.isError, textOf(started)).toBeFalsy();
      runs.push((started.structuredContent as { run_id: string }).run_id);
    }
    const done = await Promise.all(runs.map((runId) => app.engine.wait(runId)));
    const status = app.services.guard.status();
    expect(status.spentUsd).toBeLessThanOrEqual(status.budgetUsd * 0.8 + 1e-12);
    expect(status.reservedUsd).toBe(0);
    expect(done.some((run) => run.status === 'paused' && run.pause?.reason === 'budget')).toBe(true);
    // No request went out twice, whatever was cut or paused.
    expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
    await app.close();
  });
});
