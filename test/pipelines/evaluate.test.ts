import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { writeCascadeRun } from '../export/fixtures.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';

const candidateKey = 'SENTINEL-candidate-key-9f8e7d6c5b4a';

interface Evaluation {
  questions: number;
  win_rate: number;
  tie_rate: number;
  loss_rate: number;
  mean_score: number;
  by_difficulty: Record<string, { questions: number; win_rate: number; mean_score: number }>;
  by_topic: Record<string, { questions: number }>;
  worst: { id: string; score: number; answer: string }[];
}

let fake: FakeProviderServer;
let world: TestWorld;
let app: App;
let client: Client;
let goldenRun: string;
let goldenCount: number;

async function call(name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { text: textOf(result), structured: result.structuredContent as Record<string, any> };
}

async function evaluate(model: string, extra: Record<string, unknown> = {}): Promise<{ runId: string; status: Record<string, any>; text: string }> {
  const started = await call('evaluate_model', { run_id: goldenRun, model, base_url: fake.baseUrl('openai'), api_key: candidateKey, baseline_model: 'openai/gpt-6-luna', ...extra });
  const runId = started.structured.run_id as string;
  await app.engine.wait(runId);
  const status = await call('run_status', { run_id: runId });
  return { runId, status: status.structured, text: `${started.text}\n${status.text}` };
}

beforeAll(async () => {
  fake = await FakeProviderServer.start({ responder: distilleryResponder });
  world = await makeWorld({ fake });
  app = await makeApp(world);
  client = await connectClient(app);
  const cascade = await writeCascadeRun(app, 60, { goldenEvery: 4 });
  goldenRun = cascade.run.id;
  goldenCount = cascade.golden.length;
});
afterAll(async () => {
  await app.close();
  await fake.close();
  await world.cleanup();
});

describe('evaluate_model', () => {
  it('tells a good candidate from a bad one: the good one wins against the baseline, the bad one loses', async () => {
    const good = await evaluate('good-model');
    const bad = await evaluate('bad-model');
    const goodReport = good.status.evaluation as Evaluation;
    const badReport = bad.status.evaluation as Evaluation;
    expect(good.status.status).toBe('completed');
    expect(goodReport).toMatchObject({ questions: goldenCount, win_rate: 1, loss_rate: 0, mean_score: 9 });
    expect(badReport).toMatchObject({ questions: goldenCount, win_rate: 0, loss_rate: 1, mean_score: 2 });
    expect(Object.keys(goodReport.by_difficulty).sort()).toEqual(['easy', 'hard', 'medium']);
    expect(Object.values(goodReport.by_difficulty).reduce((sum, entry) => sum + entry.questions, 0)).toBe(goldenCount);
    expect(Object.keys(goodReport.by_topic).length).toBeGreaterThan(1);
    expect(badReport.worst.length).toBe(Math.min(10, goldenCount));
    expect(badReport.worst[0]).toMatchObject({ score: 2, answer: 'I am not sure.' });
    expect(good.text).toMatch(/100% won/);
    const listed = await call('list_runs', {});
    expect(listed.structured.runs.map((run: { run_id: string }) => run.run_id)).toEqual(expect.arrayContaining([good.runId, bad.runId]));
  });

  it('shuffles which answer the judge sees first, and records the candidate at $0 with its tokens', async () => {
    const { runId } = await evaluate('good-model-2');
    const grades = await readJsonlArray<{ order: string[] }>(path.join(app.engine.runDir(runId), 'grades.jsonl'));
    const firsts = new Set(grades.map((grade) => grade.order[0]));
    expect(firsts).toEqual(new Set(['candidate', 'baseline']));
    const month = app.services.ledger.months().at(-1)!;
    const ledger = await readJsonlArray<{ runId: string; stage: string; costUsd: number; usage: { outputTokens: number } }>(path.join(world.home, 'ledger', `${month}.jsonl`));
    const candidate = ledger.filter((entry) => entry.runId === runId && entry.stage === 'evaluate.candidate');
    expect(candidate).toHaveLength(goldenCount);
    for (const entry of candidate) {
      expect(entry.costUsd).toBe(0);
      expect(entry.usage.outputTokens).toBeGreaterThan(0);
    }
    expect(ledger.filter((entry) => entry.runId === runId && entry.stage === 'evaluate.judge').every((entry) => entry.costUsd > 0)).toBe(true);
  });

  it('sends the api_key to the candidate only, and never writes or returns it', async () => {
    const { runId, text } = await evaluate('good-model-3');
    const candidateCalls = fake.requests.filter((request) => request.model === 'good-model-3');
    expect(candidateCalls.length).toBe(goldenCount);
    for (const request of candidateCalls) expect(request.headers.authorization).toBe(`Bearer ${candidateKey}`);
    const others = fake.requests.filter((request) => !/^(good|bad)-model/.test(request.model));
    expect(others.length).toBeGreaterThan(0);
    expect(others.some((request) => JSON.stringify(request.headers).includes(candidateKey))).toBe(false);
    expect(text).not.toContain(candidateKey);
    expect(JSON.stringify(app.engine.get(runId))).not.toContain(candidateKey);
    const files = await readdir(world.home, { recursive: true, withFileTypes: true });
    for (const file of files.filter((entry) => entry.isFile())) {
      expect(await readFile(path.join(file.parentPath, file.name), 'utf8'), file.name).not.toContain(candidateKey);
    }
  });

  it('estimates a dry run without calling anything', async () => {
    const before = fake.requests.length;
    const { structured, text } = await call('evaluate_model', { run_id: goldenRun, model: 'good-model', base_url: 'http://127.0.0.1:11434/v1', dry_run: true });
    expect(structured).toMatchObject({ run_id: null, dry_run: true, questions: goldenCount, estimate: { calls: { candidate: goldenCount, baseline: goldenCount, judge: goldenCount, total: 3 * goldenCount } } });
    expect(structured.estimate.cost_by_stage_usd.candidate.expected).toBe(0);
    expect(structured.estimate.cost_usd.expected).toBeGreaterThan(0);
    expect(text).toMatch(/Dry run, nothing spent/);
    expect(fake.requests.length).toBe(before);
  });

  it('pauses naming the URL when the candidate endpoint cannot be reached', async () => {
    const started = await call('evaluate_model', { run_id: goldenRun, model: 'good-model', base_url: 'http://127.0.0.1:9/v1' });
    const run = await app.engine.wait(started.structured.run_id);
    expect(run.status).toBe('paused');
    expect(run.pause).toMatchObject({ reason: 'provider' });
    expect(run.pause!.message).toContain('http://127.0.0.1:9/v1');
  });

  it("asks an export's golden file given its folder as path, and refuses a path outside the allowed folders", async () => {
    const exported = await call('export_dataset', { run_ids: [goldenRun], format: 'llama-factory', name: 'eval-source' });
    const started = await call('evaluate_model', { path: exported.structured.dir, model: 'good-model-4', base_url: fake.baseUrl('openai') });
    expect(started.structured.source).toBe(path.join(exported.structured.dir, 'golden.jsonl'));
    const run = await app.engine.wait(started.structured.run_id);
    expect(run.status).toBe('completed');
    const status = await call('run_status', { run_id: run.id });
    expect(status.structured.evaluation).toMatchObject({ questions: goldenCount, win_rate: 1 });
    // Alpaca rows carry no difficulty: it comes back from the exported run's golden set.
    expect(Object.keys(status.structured.evaluation.by_difficulty).sort()).toEqual(['easy', 'hard', 'medium']);
    const outside = await client.callTool({ name: 'evaluate_model', arguments: { path: '/etc', model: 'm', base_url: 'http://127.0.0.1:11434/v1' } });
    expect(outside.isError).toBe(true);
    expect(textOf(outside)).toMatch(/outside the folders Distillery may read/);
  });

  it('refuses a run without a golden set, an unknown baseline and both run_id and path, by name', async () => {
    const both = await client.callTool({ name: 'evaluate_model', arguments: { run_id: goldenRun, path: 'x', model: 'm', base_url: 'http://127.0.0.1:11434/v1' } });
    expect(textOf(both)).toMatch(/run_id or path, not both/);
    const evaluation = app.services.catalog.listRuns().find((run) => run.kind === 'evaluate')!;
    const noGolden = await client.callTool({ name: 'evaluate_model', arguments: { run_id: evaluation.id, model: 'm', base_url: 'http://127.0.0.1:11434/v1' } });
    expect(textOf(noGolden)).toMatch(/keeps no golden set/);
    const unknown = await client.callTool({ name: 'evaluate_model', arguments: { run_id: goldenRun, model: 'm', base_url: 'http://127.0.0.1:11434/v1', baseline_model: 'no-such-model' } });
    expect(textOf(unknown)).toMatch(/baseline_model "no-such-model"/);
    const extra = await client.callTool({ name: 'evaluate_model', arguments: { run_id: goldenRun, model: 'm', base_url: 'http://127.0.0.1:11434/v1', temperature: 1 } });
    expect(extra.isError).toBe(true);
    expect(textOf(extra)).toMatch(/temperature/);
  });
});
