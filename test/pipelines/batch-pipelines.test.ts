/** Distillation and the ensemble in batch mode, and DeepSeek's off-peak wait. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { LedgerEntry } from '../../src/store/ledger.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf } from '../helpers.js';

const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
// A Monday at 08:00 UTC: inside DeepSeek's 06-10 peak window, two hours before it ends.
const mondayPeak = () => new Date(Date.UTC(2026, 10, 30, 8, 0, 0));
const noSleep = () => Promise.resolve();
const fake = sharedFake();

async function startTool(name: string, args: Record<string, unknown>, options: { corpus?: string[]; now?: () => Date; sleep?: (ms: number) => Promise<void> } = {}) {
  const world = await makeWorld({ fake, corpus: options.corpus });
  const now = options.now ?? saturday;
  const app = await makeApp(world, { now, batching: { now, sleep: options.sleep ?? noSleep } });
  const client = await connectClient(app);
  const started = await client.callTool({ name, arguments: args });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const run = await app.engine.wait(runId);
  expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
  const month = now().toISOString().slice(0, 7);
  const ledger = await readJsonlArray<LedgerEntry>(path.join(world.home, 'ledger', `${month}.jsonl`));
  return { app, run, dir: app.engine.runDir(runId), ledger };
}

describe('the other pipelines in batch mode', () => {
  it('distill_file validates through Anthropic Message Batches', async () => {
    const { app, run, ledger } = await startTool('distill_file', { path: 'legal_guide.txt', mode: 'batch' }, { corpus: ['legal_guide.txt'] });
    const validations = ledger.filter((entry) => entry.stage === 'distill.validate');
    expect(validations.length).toBeGreaterThan(0);
    expect(validations.every((entry) => entry.batch?.startsWith('msgbatch_'))).toBe(true);
    expect((run.progress as { counts: Record<string, number> }).counts.approved).toBeGreaterThan(0);
    expect(Math.max(...fake.batches.submittedCounts().values())).toBe(1);
    await app.close();
  });

  it('start_ensemble sends the OpenAI and Anthropic teachers and the judge through batches, DeepSeek live', async () => {
    const { app, ledger } = await startTool('start_ensemble', { domain: 'contract law', samples: 6, mode: 'batch' });
    const answers = ledger.filter((entry) => entry.stage === 'ensemble.answer');
    expect(new Set(answers.map((entry) => entry.provider))).toEqual(new Set(['deepseek', 'openai', 'anthropic']));
    expect(ledger.filter((entry) => entry.stage === 'ensemble.judge').length).toBeGreaterThan(0);
    expect(answers.filter((entry) => entry.provider !== 'deepseek').every((entry) => entry.batch)).toBe(true);
    expect(answers.filter((entry) => entry.provider === 'deepseek').every((entry) => !entry.batch)).toBe(true);
    expect(ledger.filter((entry) => entry.stage === 'ensemble.judge').every((entry) => entry.batch)).toBe(true);
    await app.close();
  });

  it('auto mode keeps a stage with few calls live', async () => {
    const { app, ledger } = await startTool('start_cascade', { domain: 'medical', samples: 20, mode: 'auto' });
    expect(ledger.filter((entry) => entry.batch)).toHaveLength(0);
    await app.close();
  });
});

describe("DeepSeek's off-peak window in batch mode", () => {
  it('waits for the window before a DeepSeek call, unless deepseek_off_peak is false', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => void waits.push(ms);
    const args = { domain: 'medical', samples: 10, stage_a_only: true, mode: 'batch' };
    const waited = await startTool('start_cascade', args, { now: mondayPeak, sleep });
    expect(waits.length).toBeGreaterThan(0);
    expect(new Set(waits)).toEqual(new Set([2 * 3600_000]));
    expect((waited.run.progress as { counts: Record<string, number> }).counts.off_peak_waits).toBe(waits.length);
    await waited.app.close();

    waits.length = 0;
    const atOnce = await startTool('start_cascade', { ...args, deepseek_off_peak: false }, { now: mondayPeak, sleep });
    expect(waits).toEqual([]);
    await atOnce.app.close();
  });
});

describe('estimates in batch mode', () => {
  it('a dry run shows the live and the batch cost side by side, batch about half where the stages can batch', async () => {
    const world = await makeWorld({ fake });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const dry = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 1000, dry_run: true } });
    expect(dry.isError, textOf(dry)).toBeFalsy();
    const estimate = (dry.structuredContent as { estimate: { cost_usd: { expected: number }; cost_batch_usd: { expected: number }; cost_by_stage_usd: Record<string, { expected: number }> } }).estimate;
    const stages = estimate.cost_by_stage_usd;
    // Format and validate at half price; generate (DeepSeek) at its off-peak rates, which a Saturday already has.
    expect(estimate.cost_batch_usd.expected).toBeCloseTo(stages.generate!.expected + (stages.format!.expected + stages.validate!.expected) / 2, 9);
    expect(textOf(dry)).toMatch(/live, \$[\d.]+ in batch mode \(ready within 24 h\)/);
    await app.close();
  });
});
