/**
 * Every pipeline in batch and auto mode end to end, from chat (a real MCP client) and from the
 * command line, against the fake speaking both batch APIs: auto sends a stage to a batch API only
 * above `batch.auto_min_calls` calls, DeepSeek (no batch API) stays live, and each request is
 * submitted once.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { LedgerEntry } from '../../src/store/ledger.js';
import { monthKey } from '../../src/store/month.js';
import { cliCommand, connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';

const fake = sharedFake();
const fast = { requests_per_minute: 1_000_000 };
/** Stages of more than 10 calls go to a batch API in auto mode. */
const threshold = 10;
const configFile = { providers: { deepseek: fast, openai: fast, anthropic: fast }, batch: { auto_min_calls: threshold, poll_seconds: 0, max_age_seconds: 1 } };

async function ledgerOf(world: TestWorld): Promise<LedgerEntry[]> {
  return readJsonlArray<LedgerEntry>(path.join(world.home, 'ledger', `${monthKey(new Date())}.jsonl`));
}

/** Per stage: how many calls, and how many of them went through a batch. */
function byStage(ledger: LedgerEntry[]): Record<string, { calls: number; batched: number }> {
  const stages: Record<string, { calls: number; batched: number }> = {};
  for (const entry of ledger) {
    const stage = (stages[entry.stage] ??= { calls: 0, batched: 0 });
    stage.calls++;
    if (entry.batch) stage.batched++;
  }
  return stages;
}

function expectEachRequestSubmittedOnce(): void {
  expect(fake.batches.batches.size).toBeGreaterThan(0);
  expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
}

async function fromChat(tool: string, args: Record<string, unknown>, corpus?: string[]) {
  const world = await makeWorld({ fake, corpus, configFile });
  const app = await makeApp(world);
  const client = await connectClient(app);
  const started = await client.callTool({ name: tool, arguments: { ...args, deepseek_off_peak: false } });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const run = await app.engine.wait(runId);
  expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
  const status = await client.callTool({ name: 'run_status', arguments: { run_id: runId } });
  await client.close();
  await app.close();
  const ledger = await ledgerOf(world);
  const stages = byStage(ledger);
  await world.cleanup();
  return { run, stages, status: status.structuredContent as { batches?: { requests: number; state: string }[] } };
}

function fromCli(world: TestWorld, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], { cwd: world.dir, env: { ...process.env, ...world.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('auto mode from chat', () => {
  it('distill_file: generation at DeepSeek live, the validation stage (more calls than the threshold) through Message Batches', async () => {
    const { run, stages, status } = await fromChat('distill_file', { path: 'legal_guide.txt', mode: 'auto' }, ['legal_guide.txt']);
    expect(stages['distill.generate']!.batched).toBe(0);
    expect(stages['distill.validate']!.calls).toBeGreaterThan(threshold);
    expect(stages['distill.validate']!.batched).toBe(stages['distill.validate']!.calls);
    expect((run.progress as { counts: Record<string, number> }).counts.approved).toBeGreaterThan(0);
    expect(status.batches?.length).toBeGreaterThan(0);
    expect(status.batches!.every((batch) => batch.state === 'ended')).toBe(true);
    expectEachRequestSubmittedOnce();
  });

  it('start_cascade: format and validate batched above the threshold, DeepSeek generation live', async () => {
    const { run, stages } = await fromChat('start_cascade', { domain: 'medical', samples: 30, mode: 'auto' });
    expect(stages['cascade.generate']!.batched).toBe(0);
    for (const stage of ['cascade.format', 'cascade.validate']) {
      expect(stages[stage]!.calls, stage).toBeGreaterThan(threshold);
      expect(stages[stage]!.batched, stage).toBe(stages[stage]!.calls);
    }
    expect((run.progress as { counts: Record<string, number> }).counts.approved).toBeGreaterThan(0);
    expectEachRequestSubmittedOnce();
  });

  it('start_ensemble: stages at or under the threshold stay live, larger ones are batched', async () => {
    const { stages } = await fromChat('start_ensemble', { domain: 'contract law', samples: 8, mode: 'auto' });
    for (const [stage, { calls, batched }] of Object.entries(stages)) {
      // DeepSeek calls and small stages live; what is batched is a whole stage's OpenAI/Anthropic calls.
      if (batched > 0) expect(calls, stage).toBeGreaterThan(threshold);
    }
    expect(stages['ensemble.answer']!.batched).toBeGreaterThan(0);
    expect(stages['ensemble.judge']!.calls).toBeLessThanOrEqual(threshold);
    expect(stages['ensemble.judge']!.batched).toBe(0);
  });
});

describe('batch and auto mode from the command line', () => {
  it('distillery distill --mode auto and distillery ensemble --batch run through the batch APIs to the end', async () => {
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'], configFile });
    const distill = await fromCli(world, ['distill', '--input', 'legal_guide.txt', '--mode', 'auto', '--no-off-peak']);
    expect(distill.code, distill.output).toBe(0);
    expect(distill.output).toMatch(/in batch mode \(ready within 24 h\)/);
    let stages = byStage(await ledgerOf(world));
    expect(stages['distill.validate']!.batched).toBe(stages['distill.validate']!.calls);
    expect(stages['distill.generate']!.batched).toBe(0);
    expectEachRequestSubmittedOnce();

    const ensemble = await fromCli(world, ['ensemble', '--domain', 'contract law', '--samples', '6', '--batch', '--no-off-peak']);
    expect(ensemble.code, ensemble.output).toBe(0);
    stages = byStage(await ledgerOf(world));
    expect(stages['ensemble.judge']!.batched).toBe(stages['ensemble.judge']!.calls);
    expect(stages['ensemble.answer']!.batched).toBeGreaterThan(0);
    expectEachRequestSubmittedOnce();
    await world.cleanup();
  });
});
