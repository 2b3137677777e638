import { readdir, readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { writeCascadeRun } from '../export/fixtures.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { makeApp, makeWorld, type TestWorld } from '../helpers.js';
import { cli, lineCount, sleep } from './child-process.js';

const candidateKey = 'SENTINEL-candidate-cli-key-1a2b3c4d';

let fake: FakeProviderServer;
let world: TestWorld;
let goldenRun: string;
let golden: number;

/** The evaluation run's id, once the child has written it to the catalog. */
function evaluationRunId(): string | undefined {
  const file = path.join(world.home, 'catalog.json');
  if (!existsSync(file)) return undefined;
  try {
    return (JSON.parse(readFileSync(file, 'utf8')).runs as { id: string; kind: string }[]).find((run) => run.kind === 'evaluate')?.id;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 15, responder: distilleryResponder });
  world = await makeWorld({ fake });
  const app = await makeApp(world);
  const cascade = await writeCascadeRun(app, 160, { goldenEvery: 2 });
  goldenRun = cascade.run.id;
  golden = cascade.golden.length;
  await app.close();
});
afterAll(async () => {
  await fake.close();
  await world.cleanup();
});

describe('distillery eval', () => {
  it('estimates with --dry-run and calls nothing', async () => {
    const before = fake.requests.length;
    const child = cli(world, ['eval', '--run', goldenRun, '--model', 'good-model', '--base-url', fake.baseUrl('openai'), '--dry-run']);
    expect(await child.exited, child.output()).toBe(0);
    expect(child.output()).toMatch(new RegExp(`Dry run, nothing spent\\. ${golden} golden questions`));
    expect(fake.requests.length).toBe(before);
  });

  it('killed with SIGKILL, resumes (asking for the key again) to a full report without paying twice, and never shows the key', async () => {
    const before = fake.requests.length;
    let child = cli(world, ['eval', '--run', goldenRun, '--model', 'good-model', '--base-url', fake.baseUrl('openai'), '--api-key', candidateKey, '--baseline', 'openai/gpt-6-luna']);
    let runId: string | undefined;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !child.hasExited()) {
      runId ??= evaluationRunId();
      if (runId && lineCount(path.join(world.home, 'runs', runId, 'calls.jsonl')) >= golden) break;
      await sleep(10);
    }
    expect(child.hasExited(), `the evaluation ended before it was killed: ${child.output()}`).toBe(false);
    child.kill();
    await child.exited;
    const outputs = [child.output()];

    // A new process has no key: the run pauses and says how to continue.
    child = cli(world, ['resume', runId!]);
    await child.exited;
    outputs.push(child.output());
    expect(child.output()).toMatch(/needs its api_key/);

    child = cli(world, ['resume', runId!, '--api-key', candidateKey]);
    expect(await child.exited, child.output()).toBe(0);
    outputs.push(child.output());
    expect(child.output()).toMatch(new RegExp(`${golden} questions graded: 100% won, 0% tied, 0% lost against the baseline, mean score 9`));

    const dir = path.join(world.home, 'runs', runId!);
    const journal = await readJsonlArray<{ key: string; stage: string }>(path.join(dir, 'calls.jsonl'));
    expect(new Set(journal.map((record) => record.key)).size).toBe(journal.length);
    expect(journal).toHaveLength(3 * golden);
    // Only calls in flight at the kill may be sent twice: at most 8 questions' three calls.
    const sent = fake.requests.length - before;
    expect(sent).toBeGreaterThanOrEqual(3 * golden);
    expect(sent).toBeLessThanOrEqual(3 * golden + 24);
    const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.evaluation).toMatchObject({ questions: golden, win_rate: 1 });

    for (const output of outputs) expect(output).not.toContain(candidateKey);
    const files = await readdir(world.home, { recursive: true, withFileTypes: true });
    for (const file of files.filter((entry) => entry.isFile())) expect(await readFile(path.join(file.parentPath, file.name), 'utf8'), file.name).not.toContain(candidateKey);
  });
});
