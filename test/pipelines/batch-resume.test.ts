/** Batches outlive the process: a restart polls the batches out, a lost submit is found, cancel_run cancels. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCommand, connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';
import type { App } from '../../src/app.js';

const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
const noSleep = () => Promise.resolve();
const fake = sharedFake();

/** A poll wait that never ends (until the run stops): batches stay out, and `polled` says one is out. */
function stalledPolls() {
  let polled!: () => void;
  const out = new Promise<void>((resolve) => (polled = resolve));
  const sleep = (_ms: number, signal: AbortSignal) => {
    polled();
    return new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  };
  return { out, sleep };
}

async function start(app: App, args: Record<string, unknown>) {
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 40, mode: 'batch', ...args } });
  expect(started.isError, textOf(started)).toBeFalsy();
  return { client, runId: (started.structuredContent as { run_id: string }).run_id };
}

const spent = (app: App) => app.services.guard.status().spentUsd;

async function uninterruptedSpend(): Promise<number> {
  const world = await makeWorld({ fake });
  const app = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: noSleep } });
  const { runId } = await start(app, {});
  expect((await app.engine.wait(runId)).status).toBe('completed');
  const total = spent(app);
  await app.close();
  await world.cleanup();
  fake.batches.reset();
  return total;
}

async function journalTypes(world: TestWorld, runId: string): Promise<string[]> {
  const text = await readFile(path.join(world.home, 'runs', runId, 'batches.jsonl'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line).type);
}

describe('batches across a restart', () => {
  it('a stopped process leaves its batches out; the next polls them and submits nothing twice, spending what an uninterrupted run does', async () => {
    const expected = await uninterruptedSpend();
    const world = await makeWorld({ fake });
    const stalled = stalledPolls();
    const first = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: stalled.sleep } });
    const { runId } = await start(first, {});
    await stalled.out;
    await first.close();
    expect(first.engine.get(runId).status).toBe('interrupted');
    expect(await journalTypes(world, runId)).toContain('submitted');
    const outBefore = fake.batches.batches.size;

    const second = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: noSleep } });
    // What serve does at start: runs with batches out carry on by themselves.
    expect(await second.engine.resumeBatchesOut()).toEqual([runId]);
    const run = await second.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    expect(fake.batches.batches.size).toBeGreaterThanOrEqual(outBefore);
    expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
    expect(spent(second)).toBeCloseTo(expected, 12);
    expect(second.services.guard.status().reservedUsd).toBe(0);
    await second.close();
  });

  it('finds a batch whose submit answer was lost instead of submitting it again', async () => {
    const world = await makeWorld({ fake });
    fake.batches.loseSubmits = 2;
    const app = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: noSleep } });
    const { runId } = await start(app, {});
    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    expect(fake.batches.loseSubmits).toBe(0);
    expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
    expect(await journalTypes(world, runId)).not.toContain('abandoned');
    await app.close();
  });
});

describe('cancel_run in batch mode', () => {
  it('cancels the batches out at the provider and releases their holds', async () => {
    const world = await makeWorld({ fake });
    const stalled = stalledPolls();
    const app = await makeApp(world, { now: saturday, batching: { now: saturday, sleep: stalled.sleep } });
    const { client, runId } = await start(app, {});
    await stalled.out;
    expect(app.services.guard.status().reservedUsd).toBeGreaterThan(0);
    const cancelled = await client.callTool({ name: 'cancel_run', arguments: { run_id: runId } });
    expect(cancelled.isError, textOf(cancelled)).toBeFalsy();
    expect(app.engine.get(runId).status).toBe('cancelled');
    expect([...fake.batches.batches.values()].every((batch) => batch.canceled)).toBe(true);
    expect(app.services.guard.status().reservedUsd).toBe(0);
    expect(await journalTypes(world, runId)).toContain('ended');
    await app.close();
  });
});

describe('batch mode from the command line', () => {
  it('distillery cascade --batch --no-off-peak runs through the batch APIs; --batch with --mode live is refused', async () => {
    const fast = { requests_per_minute: 1_000_000 };
    const world = await makeWorld({ fake, configFile: { providers: { deepseek: fast, openai: fast, anthropic: fast }, batch: { poll_seconds: 0, max_age_seconds: 1 } } });
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], { cwd: world.dir, env: { ...process.env, ...world.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += String(chunk)));
        child.stderr.on('data', (chunk) => (output += String(chunk)));
        child.on('exit', (code) => resolve({ code, output }));
      });
    const refused = await cli(['cascade', '--samples', '20', '--domain', 'medical', '--batch', '--mode', 'live']);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain('--batch and --mode live disagree');
    const run = await cli(['cascade', '--samples', '20', '--domain', 'medical', '--batch', '--no-off-peak']);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/in batch mode \(ready within 24 h\)/);
    expect(fake.batches.batches.size).toBeGreaterThan(0);
    expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
    await world.cleanup();
  });
});
