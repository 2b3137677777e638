import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { cli, firstRunId, lineCount, seededFractions, sleep, type CliChild } from './child-process.js';

const concurrency = 16;
const providerCount = 3;
const cascade = { domain: 'general', samples: 2000 };

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 5, responder: distilleryResponder });
});
afterAll(async () => fake.close());

function worldWithLimits(): Promise<TestWorld> {
  const limits = { concurrency, requests_per_minute: 1_000_000 };
  return makeWorld({ fake, configFile: { providers: { deepseek: limits, openai: limits, anthropic: limits } } });
}

/** Ids carry the run id, so samples are compared by their text. */
const pairs = (samples: Sample[]) => samples.map((s) => JSON.stringify([s.instruction, s.output])).sort();

async function readOutputs(dir: string) {
  const train = await readJsonlArray<Sample>(path.join(dir, 'train.jsonl'));
  const golden = await readJsonlArray<Sample>(path.join(dir, 'golden_test_set.jsonl'));
  const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));
  return { train, golden, metrics };
}

describe('a 2,000-sample cascade killed with SIGKILL five times', () => {
  it('resumes each time to the same counts and samples as an uninterrupted run, without duplicates, a corrupt catalog or much repaid work', async () => {
    // The uninterrupted reference, in process.
    const reference = await worldWithLimits();
    const app = await makeApp(reference);
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'start_cascade', arguments: cascade });
    expect(started.isError, textOf(started)).toBeFalsy();
    const referenceRun = await app.engine.wait((started.structuredContent as { run_id: string }).run_id);
    expect(referenceRun.status, JSON.stringify(referenceRun.pause ?? referenceRun.error)).toBe('completed');
    const referenceDir = app.engine.runDir(referenceRun.id);
    const referenceCalls = lineCount(path.join(referenceDir, 'calls.jsonl'));
    const expected = await readOutputs(referenceDir);
    await app.close();
    expect(referenceCalls).toBeGreaterThan(2000);
    expect(expected.train.length + expected.golden.length).toBeGreaterThan(1000);

    // The same run in child processes, killed at five seeded points of the reference's call count.
    const world = await worldWithLimits();
    const requestsBefore = fake.requests.length;
    const killPoints = seededFractions(8, 5, 0.08, 0.92).map((fraction) => Math.round(fraction * referenceCalls));
    let child: CliChild = cli(world, ['cascade', '--domain', cascade.domain, '--samples', String(cascade.samples)]);
    let runId: string | undefined;
    const journaledAtKill: number[] = [];
    for (const point of killPoints) {
      let journaled = 0;
      while (!child.hasExited()) {
        runId ??= firstRunId(world);
        journaled = runId ? lineCount(path.join(world.home, 'runs', runId, 'calls.jsonl')) : 0;
        if (journaled >= point) break;
        await sleep(10);
      }
      expect(child.hasExited(), `the child ended before call ${point}: ${child.output()}`).toBe(false);
      expect(runId, child.output()).toBeDefined();
      child.kill();
      await child.exited;
      journaledAtKill.push(lineCount(path.join(world.home, 'runs', runId!, 'calls.jsonl')));
      // The catalog is always whole JSON, whatever moment the process died at.
      const catalog = JSON.parse(await readFile(path.join(world.home, 'catalog.json'), 'utf8'));
      expect(catalog.runs.map((run: { id: string }) => run.id)).toContain(runId);
      child = cli(world, ['resume', runId!]);
    }
    const code = await child.exited;
    expect(code, child.output()).toBe(0);
    // Each kill left the journal further on: every resume made progress.
    for (const [index, count] of journaledAtKill.entries()) expect(count).toBeGreaterThanOrEqual(killPoints[index]!);

    const dir = path.join(world.home, 'runs', runId!);
    const actual = await readOutputs(dir);
    expect(actual.metrics.counts).toEqual(expected.metrics.counts);
    expect(pairs(actual.train)).toEqual(pairs(expected.train));
    expect(pairs(actual.golden)).toEqual(pairs(expected.golden));
    const ids = [...actual.train, ...actual.golden].map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(lineCount(path.join(dir, 'calls.jsonl'))).toBe(referenceCalls);

    // Paid again only for calls in flight at each kill: at most one window per provider per kill.
    const paid = fake.requests.length - requestsBefore;
    expect(paid).toBeGreaterThanOrEqual(referenceCalls);
    expect(paid - referenceCalls).toBeLessThanOrEqual(killPoints.length * concurrency * providerCount);
    const catalog = JSON.parse(await readFile(path.join(world.home, 'catalog.json'), 'utf8'));
    expect(catalog.runs.find((run: { id: string }) => run.id === runId).status).toBe('completed');
    await reference.cleanup();
    await world.cleanup();
  }, 600_000);
});
