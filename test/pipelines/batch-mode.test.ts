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
