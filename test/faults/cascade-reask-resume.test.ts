import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { thirtyPercentShort } from '../fakes/short-generator.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { cli, firstRunId, lineCount, sleep } from './child-process.js';

const concurrency = 8;
// min_score 8 approves fewer than the assumed rate, so the run needs top-up waves as well as re-asks.
const cascade = { domain: 'medical', samples: 200, target: 'approved', min_score: 8 } as const;
const args = ['cascade', '--domain', cascade.domain, '--samples', String(cascade.samples), '--target', cascade.target, '--min-score', String(cascade.min_score)];

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 5, responder: thirtyPercentShort });
});
afterAll(async () => fake.close());

function world(): Promise<TestWorld> {
  const limits = { concurrency, requests_per_minute: 1_000_000 };
  return makeWorld({ fake, configFile: { providers: { deepseek: limits, openai: limits, anthropic: limits } } });
}

const pairs = (samples: Sample[]) => samples.map((s) => JSON.stringify([s.instruction, s.output])).sort();

async function outputs(dir: string) {
  return {
    calls: lineCount(path.join(dir, 'calls.jsonl')),
    raw: (await readJsonlArray<{ question: string }>(path.join(dir, 'stage_a_raw_pairs.jsonl'))).map((pair) => pair.question),
    train: pairs(await readJsonlArray<Sample>(path.join(dir, 'train.jsonl'))),
    golden: pairs(await readJsonlArray<Sample>(path.join(dir, 'golden_test_set.jsonl'))),
    metrics: JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8')),
  };
}

describe('a cascade with re-asks and top-up waves killed with SIGKILL', () => {
  it('resumes to exactly what an uninterrupted run writes, journal included', async () => {
    const reference = await world();
    const app = await makeApp(reference);
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'start_cascade', arguments: cascade });
    expect(started.isError, textOf(started)).toBeFalsy();
    const run = await app.engine.wait((started.structuredContent as { run_id: string }).run_id);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const expected = await outputs(app.engine.runDir(run.id));
    await app.close();
    expect(expected.metrics.funnel.stage_a.reasked).toBeGreaterThan(0);
    expect(expected.metrics.top_up_waves).toBeGreaterThan(0);
    expect(expected.train.length + expected.golden.length).toBeGreaterThanOrEqual(cascade.samples);

    // Killed twice: in the first wave, and half-way through what follows the first top-up call.
    const journal = await readJsonlArray<{ stage: string; sampleKey: string }>(path.join(app.engine.runDir(run.id), 'calls.jsonl'));
    const firstTopUp = journal.findIndex((call) => call.stage === 'cascade.generate' && Number(/^a-(\d+)-/.exec(call.sampleKey)![1]) >= expected.metrics.plan.calls);
    expect(firstTopUp).toBeGreaterThan(0);
    const killed = await world();
    const before = fake.requests.length;
    let child = cli(killed, args);
    let runId: string | undefined;
    for (const point of [Math.round(0.35 * firstTopUp), Math.round((firstTopUp + expected.calls) / 2)]) {
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && !child.hasExited()) {
        runId ??= firstRunId(killed);
        if (runId && lineCount(path.join(killed.home, 'runs', runId, 'calls.jsonl')) >= point) break;
        await sleep(10);
      }
      expect(child.hasExited(), `the child ended before call ${point}: ${child.output()}`).toBe(false);
      child.kill();
      await child.exited;
      child = cli(killed, ['resume', runId!]);
    }
    expect(await child.exited, child.output()).toBe(0);
    const actual = await outputs(path.join(killed.home, 'runs', runId!));
    expect(actual.calls).toBe(expected.calls);
    expect(actual.raw).toEqual(expected.raw);
    expect(actual.train).toEqual(expected.train);
    expect(actual.golden).toEqual(expected.golden);
    expect(actual.metrics.counts).toEqual(expected.metrics.counts);
    // Paid again only for calls in flight at each kill: at most one window per provider per kill.
    const paid = fake.requests.length - before;
    expect(paid).toBeGreaterThanOrEqual(before);
    expect(paid - before).toBeLessThanOrEqual(2 * concurrency * 3);
    await reference.cleanup();
    await killed.cleanup();
  }, 120_000);
});
