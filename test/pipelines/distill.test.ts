import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeProviderServer, reply, type FakeReply, type FakeRequest } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, existsSync, makeApp, makeWorld, sentinels, sharedFake, type TestWorld, textOf } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { PriceTable, costUsd } from '../../src/llm/prices.js';
import type { Sample } from '../../src/pipelines/sample.js';

// A Saturday: DeepSeek off-peak, so the hand-computed prices below hold whatever day the test runs.
const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));

const fake = sharedFake();

async function runToEnd(world: TestWorld, input: Record<string, unknown>) {
  const app = await makeApp(world, { now: saturday });
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'distill_file', arguments: input });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const run = await app.engine.wait(runId);
  return { app, client, runId, run, dir: app.engine.runDir(runId) };
}

describe('distill_file against the fake providers', () => {
  it('writes every file of a run on legal_guide.txt with counts that agree and costs that match the prices', async () => {
    const usageBy: Record<string, { input: number; cached: number; output: number }> = {
      deepseek: { input: 1000, cached: 200, output: 300 },
      anthropic: { input: 800, cached: 100, output: 60 },
    };
    fake.responder = (request: FakeRequest): FakeReply => {
      const answer = distilleryResponder(request);
      return answer.kind === 'text' ? { ...answer, usage: usageBy[request.flavour] } : answer;
    };
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
    const { app, run, dir, runId } = await runToEnd(world, { path: 'legal_guide.txt', pairs_per_chunk: 3 });
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');

    const files = await readdir(dir);
    for (const name of ['chunks.jsonl', 'generated_qa_pairs.jsonl', 'validation_results.jsonl', 'golden_dataset.jsonl', 'metrics.json', 'calls.jsonl']) {
      expect(files).toContain(name);
    }
    const chunks = await readJsonlArray<{ index: number }>(path.join(dir, 'chunks.jsonl'));
    const generated = await readJsonlArray<{ id: string; filtered: string | null }>(path.join(dir, 'generated_qa_pairs.jsonl'));
    const validated = await readJsonlArray<Sample>(path.join(dir, 'validation_results.jsonl'));
    const golden = await readJsonlArray<Sample>(path.join(dir, 'golden_dataset.jsonl'));
    const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));

    expect(chunks.length).toBeGreaterThan(10);
    expect(generated.length).toBe(chunks.length * 3);
    const generatedIds = new Set(generated.map((pair) => pair.id));
    const validatedIds = new Set(validated.map((sample) => sample.id));
    for (const sample of validated) expect(generatedIds.has(sample.id)).toBe(true);
    for (const sample of golden) {
      expect(validatedIds.has(sample.id)).toBe(true);
      expect(sample.status).toBe('approved');
      expect(sample.scores.overall).toBeGreaterThanOrEqual(7);
      expect(sample.instruction.length).toBeGreaterThan(0);
      expect(sample.output.length).toBeGreaterThan(0);
      expect(sample.review.reason.length).toBeGreaterThan(0);
      expect(sample.source.file).toBe('legal_guide.txt');
    }
    expect(new Set(golden.map((s) => s.id)).size).toBe(golden.length);
    const rejected = validated.filter((s) => s.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const sample of rejected) expect(sample.review.reason).toMatch(/\w/);

    expect(metrics.counts.chunks).toBe(chunks.length);
    expect(metrics.counts.generated).toBe(generated.length);
    expect(metrics.counts.approved).toBe(golden.length);
    expect(metrics.counts.approved + metrics.counts.rejected).toBe(validated.length);
    expect(metrics.counts.duplicates_removed).toBe(generated.filter((p) => p.filtered?.startsWith('duplicate')).length);
    expect(metrics.approval_rate).toBeCloseTo(golden.length / validated.length, 10);

    // Ledger total equals the usage the fake billed times the price table, by hand.
    const deepseekCalls = fake.counts().deepseek;
    const anthropicCalls = fake.counts().anthropic;
    expect(deepseekCalls).toBe(chunks.length);
    const perGenerate = (1000 * 0.22 + 200 * 0.007 + 300 * 0.66) / 1e6;
    const perValidate = (800 * 0.1 + 100 * 0.01 + 60 * 0.5) / 1e6;
    const expected = deepseekCalls * perGenerate + anthropicCalls * perValidate;
    expect(app.services.ledger.runSpent(runId)).toBeCloseTo(expected, 12);
    expect(metrics.cost_usd.total).toBeCloseTo(expected, 12);
    expect(metrics.cost_usd.generate).toBeCloseTo(deepseekCalls * perGenerate, 12);
    expect(metrics.cost_per_approved_pair_usd).toBeCloseTo(expected / golden.length, 12);
    expect(app.services.guard.status().spentUsd).toBeCloseTo(expected, 12);
    // The shipped table says the same as the hand figures.
    const table = PriceTable.load();
    expect(costUsd(table.require('deepseek', 'deepseek-v4-flash'), { inputTokens: 1000, cachedInputTokens: 200, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 300 }, saturday())).toBeCloseTo(perGenerate, 15);
    // No key reaches any file Distillery wrote (catalog, ledger, journal, datasets, metrics).
    for (const file of await readdir(world.home, { recursive: true })) {
      const full = path.join(world.home, file);
      if (!(await stat(full)).isFile()) continue;
      const content = await readFile(full, 'utf8');
      for (const secret of Object.values(sentinels)) expect(content, file).not.toContain(secret);
    }
    await app.close();
    await world.cleanup();
  });

  it('absorbs malformed JSON and 429s: the run completes and counts every retried attempt', async () => {
    let n = 0;
    fake.responder = (request) => {
      n++;
      if (n % 5 === 0) return reply.text('Sure! Here is the JSON you asked for: {"pairs": [ {"question": ');
      if (n % 7 === 0) return reply.rateLimited(10);
      return distilleryResponder(request);
    };
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'] });
    const { app, run, dir } = await runToEnd(world, { path: 'technical_manual.txt', pairs_per_chunk: 2, chunk_tokens: 2000 });
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.retried_attempts.provider_rate_limited).toBeGreaterThan(0);
    const malformed = (metrics.retried_attempts.output_malformed_json ?? 0) + (metrics.retried_attempts.output_schema_mismatch ?? 0) + (metrics.counts.generation_failures ?? 0) + (metrics.counts.validation_failures ?? 0);
    expect(malformed).toBeGreaterThan(0);
    const golden = await readJsonlArray<Sample>(path.join(dir, 'golden_dataset.jsonl'));
    expect(golden.length).toBeGreaterThan(0);
    await app.close();
    await world.cleanup();
  });

  it('refuses a budget below the estimate before any paid call, with the figures', async () => {
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'], env: { DISTILLERY_BUDGET_USD: '0.001' } });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const result = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/needs about \$[\d.]+ .*Nothing was spent/);
    expect(fake.requests.length).toBe(0);
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await app.close();
    await world.cleanup();
  });

  it('pauses with reason budget when max_usd runs out mid-way, and finishes after resume_run raises it', async () => {
    // Every answer uses its whole max_tokens, far above the estimate, so the cap is hit part-way.
    fake.responder = (request) => {
      const answer = distilleryResponder(request);
      return answer.kind === "text" ? { ...answer, usage: { output: request.maxTokens } } : answer;
    };
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const dry = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: 2, dry_run: true } });
    const expected = (dry.structuredContent as { estimate: { cost_usd: { expected: number } } }).estimate.cost_usd.expected;
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: 2, max_usd: expected * 1.05 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const runId = (started.structuredContent as { run_id: string }).run_id;
    const paused = await app.engine.wait(runId);
    expect(paused.status, JSON.stringify({ spent: app.services.ledger.runSpent(runId), expected, calls: fake.requests.length, max: fake.requests.map((r) => r.maxTokens).slice(0, 5) })).toBe("paused");
    expect(paused.pause?.reason).toBe('budget');
    expect(paused.pause?.figures?.needed_usd).toBeGreaterThan(0);
    expect(app.services.ledger.runSpent(runId)).toBeLessThanOrEqual(expected * 1.05 + 1e-12);
    const status = await client.callTool({ name: 'run_status', arguments: {} });
    expect(textOf(status)).toContain('paused (budget)');
    expect(textOf(status)).not.toContain('..');

    const callsBefore = fake.requests.length;
    const resumed = await client.callTool({ name: 'resume_run', arguments: { run_id: runId, max_usd: 100 } });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    const done = await app.engine.wait(runId);
    expect(done.status).toBe('completed');
    expect(fake.requests.length).toBeGreaterThan(callsBefore);
    const golden = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'golden_dataset.jsonl'));
    expect(golden.length).toBeGreaterThan(0);
    await app.close();
    await world.cleanup();
  });

  it('marks a run interrupted when Distillery shuts down mid-run, and a new process resumes it to the end', async () => {
    fake.latencyMs = 200; // the first calls are still in flight when the shutdown lands
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'] });
    const first = await makeApp(world);
    const client = await connectClient(first);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 2 } });
    const runId = (started.structuredContent as { run_id: string }).run_id;
    // The run has sent its first call, and needs dozens more: the shutdown lands mid-run.
    await fake.received(1);
    await first.close();
    expect(first.services.catalog.getRun(runId)?.status).toBe('interrupted');
    fake.latencyMs = 0;
    const second = await makeApp(world);
    await second.engine.resume(runId);
    expect((await second.engine.wait(runId)).status).toBe('completed');
    await second.close();
    await world.cleanup();
  });

  it('pauses at once with what to fix when a provider cannot be reached at all, and finishes after the address is fixed', async () => {
    const gone = await FakeProviderServer.start();
    const deadUrl = gone.baseUrl('deepseek');
    await gone.close();
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'], env: { DEEPSEEK_BASE_URL: deadUrl } });
    const { app, client, run, runId } = await runToEnd(world, { path: 'legal_guide.txt', pairs_per_chunk: 2 });
    expect(run.status).toBe('paused');
    expect(run.pause?.reason).toBe('provider');
    expect(run.pause?.message).toContain(`deepseek could not be reached at ${deadUrl}`);
    expect(run.pause?.message).toContain('providers.deepseek.base_url');
    expect(app.services.ledger.runSpent(runId)).toBe(0);
    await client.close();
    await app.close();
    // The address fixed (here: the fake's), the same run resumes and completes.
    const fixed = await makeApp({ ...world, config: { ...world.config, providers: { ...world.config.providers, deepseek: { ...world.config.providers.deepseek!, baseUrl: fake.baseUrl('deepseek') } } } }, { now: saturday });
    await fixed.engine.resume(runId);
    expect((await fixed.engine.wait(runId)).status).toBe('completed');
    await fixed.close();
    await world.cleanup();
  });

  it('estimates with dry_run and no API keys, spending nothing', async () => {
    const world = await makeWorld({ corpus: ['medical_manual.txt'], env: { DEEPSEEK_API_KEY: '', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' } });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const result = await client.callTool({ name: 'distill_file', arguments: { path: 'medical_manual.txt', dry_run: true } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const estimate = (result.structuredContent as { estimate: { chunks: number; calls: { total: number }; cost_usd: { low: number; expected: number; high: number } } }).estimate;
    expect(estimate.chunks).toBeGreaterThan(20);
    expect(estimate.calls.total).toBeGreaterThan(estimate.chunks);
    expect(estimate.cost_usd.low).toBeGreaterThan(0);
    expect(estimate.cost_usd.low).toBeLessThanOrEqual(estimate.cost_usd.expected);
    expect(estimate.cost_usd.expected).toBeLessThanOrEqual(estimate.cost_usd.high);
    expect(textOf(result)).toMatch(/Dry run, nothing spent/);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'medical_manual.txt' } });
    expect(started.isError).toBe(true);
    expect(textOf(started)).toContain('DEEPSEEK_API_KEY');
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await app.close();
    await world.cleanup();
  });
});
