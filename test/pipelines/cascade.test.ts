import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, type FakeRequest } from '../fakes/provider-server.js';
import { billsMaxTokens, distilleryResponder } from '../fakes/distillery-responder.js';
import { cliCommand, connectClient, existsSync, makeApp, makeWorld, sentinels, sharedFake, type TestWorld, textOf } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { NearDuplicateIndex } from '../../src/pipelines/dedup.js';
import type { Sample } from '../../src/pipelines/sample.js';

// A Saturday: DeepSeek off-peak, so costs do not depend on the hour the test runs.
const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));

const fake = sharedFake();

const task = (request: FakeRequest) => /^Task: ([\w-]+)/m.exec(request.system)?.[1];
const json = async (file: string) => JSON.parse(await readFile(file, 'utf8'));
interface RawLine { id: string; topic: string; subtopic: string; difficulty: string; question: string; filtered: string | null }
type Formatted = Sample & { usable: boolean; filtered: string | null };

async function startRun(world: TestWorld, input: Record<string, unknown>) {
  const app = await makeApp(world, { now: saturday });
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'start_cascade', arguments: input });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  return { app, client, runId, dir: app.engine.runDir(runId), started };
}

async function readRun(dir: string) {
  return {
    raw: await readJsonlArray<RawLine>(path.join(dir, 'stage_a_raw_pairs.jsonl')),
    formatted: await readJsonlArray<Formatted>(path.join(dir, 'stage_b_formatted_pairs.jsonl')),
    validated: await readJsonlArray<Sample>(path.join(dir, 'stage_c_validated.jsonl')),
    train: await readJsonlArray<Sample>(path.join(dir, 'train.jsonl')),
    golden: await readJsonlArray<Sample>(path.join(dir, 'golden_test_set.jsonl')),
  };
}

describe('start_cascade against the fake providers', () => {
  it('runs the three stages on the three configured providers, with counts that agree across files and metrics', async () => {
    const world = await makeWorld({ fake });
    const { app, runId, dir } = await startRun(world, { domain: 'medical', samples: 240 });
    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    for (const name of ['domain.json', 'stage_a_raw_pairs.jsonl', 'stage_b_formatted_pairs.jsonl', 'stage_c_validated.jsonl', 'train.jsonl', 'golden_test_set.jsonl', 'metrics.json', 'calls.jsonl']) {
      expect(await readdir(dir)).toContain(name);
    }
    const { raw, formatted, validated, train, golden } = await readRun(dir);
    const metrics = await json(path.join(dir, 'metrics.json'));

    // Each stage went to its own provider and model.
    const byFlavour = (flavour: string) => fake.requests.filter((r) => r.flavour === flavour);
    expect(new Set(byFlavour('deepseek').map(task))).toEqual(new Set(['cascade-generate']));
    expect(new Set(byFlavour('openai').map(task))).toEqual(new Set(['cascade-format']));
    expect(new Set(byFlavour('anthropic').map(task))).toEqual(new Set(['cascade-validate']));
    expect(new Set(byFlavour('deepseek').map((r) => r.model))).toEqual(new Set(['deepseek-v4-flash']));
    expect(new Set(byFlavour('openai').map((r) => r.model))).toEqual(new Set(['gpt-6-luna']));
    expect(new Set(byFlavour('anthropic').map((r) => r.model))).toEqual(new Set(['claude-haiku-5-5']));
    const counts = fake.counts();
    // 240 samples over 31 subtopics: one call of 7 or 8 pairs each.
    expect(counts.deepseek).toBe(31);
    expect(metrics.plan.calls).toBe(31);

    // Stage A: every planned pair, every subtopic of the template, exact and near duplicates removed.
    expect(raw.length).toBe(240);
    expect(new Set(raw.map((pair) => pair.subtopic)).size).toBe(31);
    const rawDuplicates = raw.filter((pair) => pair.filtered);
    expect(raw.some((pair) => pair.filtered === 'duplicate_exact')).toBe(true);
    expect(raw.some((pair) => pair.filtered === 'duplicate_near')).toBe(true);
    expect(rawDuplicates.length).toBeLessThan(30);
    const hard = raw.filter((pair) => pair.difficulty === 'hard').length;
    expect(hard / raw.length).toBeCloseTo(0.3, 1);

    // Stage B saw exactly the pairs that passed A; stage C exactly those B kept.
    expect(counts.openai).toBe(raw.length - rawDuplicates.length);
    expect(formatted.length).toBe(counts.openai);
    const kept = formatted.filter((sample) => !sample.filtered);
    expect(formatted.some((sample) => !sample.usable)).toBe(true);
    expect(counts.anthropic).toBe(kept.length);
    expect(validated.length).toBe(kept.length);
    expect(new Set(validated.map((s) => s.id))).toEqual(new Set(kept.map((s) => s.id)));

    // Stage C: about 15% rejected, each with a reason; approved = train + golden.
    const approved = validated.filter((s) => s.status === 'approved');
    const rejected = validated.filter((s) => s.status === 'rejected');
    expect(rejected.length / validated.length).toBeGreaterThan(0.05);
    expect(rejected.length / validated.length).toBeLessThan(0.3);
    for (const sample of rejected) expect(sample.review.reason).toMatch(/below min_score 7/);
    expect(train.length + golden.length).toBe(approved.length - metrics.counts.dropped_near_golden);
    for (const sample of [...train, ...golden]) {
      expect(sample.status).toBe('approved');
      expect(sample.scores.overall).toBeGreaterThanOrEqual(7);
      expect(sample.source).toMatchObject({ domain: 'medical', run: runId, pipeline: 'cascade' });
      for (const field of ['topic', 'subtopic', 'persona', 'task_type']) expect(String(sample.source[field]).length).toBeGreaterThan(0);
      expect(sample.instruction.length).toBeGreaterThan(8);
      expect(['easy', 'medium', 'hard']).toContain(sample.difficulty);
    }

    // Metrics tell the same funnel as the files, and the dollars add up to the ledger.
    expect(metrics.funnel.stage_a).toMatchObject({ calls: 31, pairs: raw.length, duplicates_removed: rawDuplicates.length, passed: counts.openai });
    expect(metrics.funnel.stage_b).toMatchObject({ pairs_in: counts.openai, formatted: formatted.length, passed: kept.length });
    expect(metrics.funnel.stage_c).toMatchObject({ pairs_in: validated.length, approved: approved.length, rejected: rejected.length });
    expect(metrics.funnel.split).toMatchObject({ approved: approved.length, golden: golden.length, train: train.length });
    expect(metrics.counts.duplicates_removed).toBe(rawDuplicates.length);
    expect(metrics.counts.unusable).toBe(formatted.filter((s) => !s.usable).length);
    const stageDollars = metrics.funnel.stage_a.cost_usd + metrics.funnel.stage_b.cost_usd + metrics.funnel.stage_c.cost_usd;
    expect(stageDollars).toBeCloseTo(metrics.cost_usd.total, 12);
    expect(metrics.cost_usd.total).toBeCloseTo(app.services.ledger.runSpent(runId), 12);
    expect(metrics.funnel.stage_a.cost_usd).toBeGreaterThan(0);
    expect(metrics.funnel.stage_b.cost_usd).toBeGreaterThan(0);
    expect(metrics.funnel.stage_c.cost_usd).toBeGreaterThan(0);
    await app.close();
    await world.cleanup();
  });

  it('holds out a golden set of about golden_fraction of approved, best scores per stratum, disjoint from train even for near-duplicates', async () => {
    const world = await makeWorld({ fake });
    const { app, runId, dir } = await startRun(world, { domain: 'software engineering', samples: 300, golden_fraction: 0.15 });
    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const { validated, train, golden } = await readRun(dir);
    const approved = validated.filter((s) => s.status === 'approved');
    expect(golden.length).toBe(Math.round(approved.length * 0.15));
    expect(new Set(golden.map((s) => s.source.topic)).size).toBeGreaterThanOrEqual(5);

    const goldenIndex = new NearDuplicateIndex();
    for (const sample of golden) goldenIndex.add(sample.id, sample.instruction);
    const goldenIds = new Set(golden.map((s) => s.id));
    for (const sample of train) {
      expect(goldenIds.has(sample.id)).toBe(false);
      expect(goldenIndex.find(sample.instruction).duplicate).toBe(false);
    }
    // Within each topic and difficulty, no train pair scores above a golden one.
    const stratum = (s: Sample) => `${s.source.topic}|${s.difficulty}`;
    for (const sample of golden) {
      const better = train.filter((t) => stratum(t) === stratum(sample) && t.scores.overall > sample.scores.overall);
      expect(better).toEqual([]);
    }
    await app.close();
    await world.cleanup();
  });

  it('stage_a_only writes raw pairs only and calls no formatter or validator', async () => {
    const world = await makeWorld({ fake });
    const { app, runId, dir, started } = await startRun(world, { domain: 'legal', samples: 100, stage_a_only: true });
    const estimate = (started.structuredContent as { estimate: { calls: { format: number; validate: number } } }).estimate;
    expect(estimate.calls).toMatchObject({ format: 0, validate: 0 });
    const run = await app.engine.wait(runId);
    expect(run.status).toBe('completed');
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['calls.jsonl', 'domain.json', 'metrics.json', 'stage_a_raw_pairs.jsonl']);
    const raw = await readJsonlArray<RawLine>(path.join(dir, 'stage_a_raw_pairs.jsonl'));
    const metrics = await json(path.join(dir, 'metrics.json'));
    // 100 samples over legal's 28 subtopics: one call per subtopic.
    expect(fake.counts()).toMatchObject({ openai: 0, anthropic: 0, deepseek: 28 });
    expect(metrics.plan.calls).toBe(28);
    expect(raw.length).toBe(100);
    expect(metrics.funnel.stage_a.passed).toBe(raw.filter((pair) => !pair.filtered).length);
    expect(metrics.funnel.stage_b).toBeUndefined();
    await app.close();
    await world.cleanup();
  });

  it('pauses for budget mid-cascade and, resumed with more budget, ends with the files an uninterrupted run writes', async () => {
    // Every answer uses its whole max_tokens, far above the estimate, so the cap is hit part-way.
    fake.responder = billsMaxTokens;
    const input = { domain: 'finance', samples: 160 };
    const reference = await makeWorld({ fake });
    const referenceRun = await startRun(reference, input);
    expect((await referenceRun.app.engine.wait(referenceRun.runId)).status).toBe('completed');
    const referenceCalls = fake.requests.length;
    const expectedFiles = await readRun(referenceRun.dir);
    const stageCost = referenceRun.app.services.guard.status().byStage;
    await referenceRun.app.close();

    const world = await makeWorld({ fake });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const dry = await client.callTool({ name: 'start_cascade', arguments: { ...input, dry_run: true } });
    const expected = (dry.structuredContent as { estimate: { cost_usd: { expected: number } } }).estimate.cost_usd.expected;
    // Above the estimate, and above what stages A and B cost in full (in flight included), so
    // stage C must have started; below what the run costs, so it must pause.
    const cap = Math.max(expected * 1.05, stageCost['cascade.generate']! + stageCost['cascade.format']! + stageCost['cascade.validate']! / 2);
    const before = fake.requests.length;
    const started = await client.callTool({ name: 'start_cascade', arguments: { ...input, max_usd: cap } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const runId = (started.structuredContent as { run_id: string }).run_id;
    const paused = await app.engine.wait(runId);
    expect(paused.status).toBe('paused');
    expect(paused.pause?.reason).toBe('budget');
    expect(app.services.ledger.runSpent(runId)).toBeLessThanOrEqual(cap + 1e-12);
    const pausedCalls = fake.requests.length - before;
    // Paused in the middle: every stage had started, and not everything was sent.
    expect(new Set(fake.requests.slice(before).map((r) => r.flavour))).toEqual(new Set(['deepseek', 'openai', 'anthropic']));
    expect(pausedCalls).toBeLessThan(referenceCalls);
    expect(textOf(await client.callTool({ name: 'run_status', arguments: {} }))).toContain('paused (budget)');

    const resumed = await client.callTool({ name: 'resume_run', arguments: { run_id: runId, max_usd: 100 } });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    expect((await app.engine.wait(runId)).status).toBe('completed');
    // Nothing paid twice: both sessions together sent what the uninterrupted run sent.
    expect(fake.requests.length - before).toBe(referenceCalls);
    const files = await readRun(app.engine.runDir(runId));
    const texts = (samples: Sample[]) => samples.map((s) => `${s.instruction}|${s.output}|${s.scores.overall}`);
    expect(texts(files.train)).toEqual(texts(expectedFiles.train));
    expect(texts(files.golden)).toEqual(texts(expectedFiles.golden));
    expect(files.raw.map((pair) => pair.question)).toEqual(expectedFiles.raw.map((pair) => pair.question));
    await app.close();
    await world.cleanup();
    await reference.cleanup();
  });

  it('cancels part-way with cancel_run, and resume_run finishes it, sending again only calls that were in flight', async () => {
    fake.latencyMs = 5;
    const world = await makeWorld({ fake });
    const { app, client, runId, dir } = await startRun(world, { domain: 'general', samples: 120 });
    await fake.received(10, 'anthropic');
    const cancelled = await client.callTool({ name: 'cancel_run', arguments: { run_id: runId } });
    expect((cancelled.structuredContent as { status: string }).status).toBe('cancelled');
    const generateCalls = fake.counts().deepseek;
    fake.latencyMs = 0;
    await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    const metrics = await json(path.join(dir, 'metrics.json'));
    expect(metrics.plan.calls).toBe(24);
    // Stage A calls answered before the cancel are replayed; at most the ones in flight are sent again.
    expect(fake.counts().deepseek).toBeLessThanOrEqual(24 + Math.min(generateCalls, 16));
    expect(metrics.calls.replayed_from_journal).toBeGreaterThan(0);
    expect((await readRun(dir)).train.length).toBe(metrics.funnel.split.train);
    await app.close();
    await world.cleanup();
  });

  it('expands a free-text domain with one journaled call, keeps it in domain.json and does not ask again on resume', async () => {
    let failFormat = true;
    fake.responder = (request) => {
      // The first formatting call meets an exhausted quota: the run pauses and is resumed.
      if (failFormat && task(request) === 'cascade-format') {
        failFormat = false;
        return reply.billing('openai');
      }
      return distilleryResponder(request);
    };
    const world = await makeWorld({ fake });
    const { app, client, runId, dir, started } = await startRun(world, { domain: 'veterinary dermatology', samples: 60 });
    expect((started.structuredContent as { domain: { kind: string } }).domain.kind).toBe('free_text');
    expect(textOf(started)).toContain('matches no template');
    const paused = await app.engine.wait(runId);
    expect(paused.status).toBe('paused');
    expect(paused.pause?.reason).toBe('provider');
    const domainBefore = await json(path.join(dir, 'domain.json'));
    expect(domainBefore.kind).toBe('free_text');
    expect(domainBefore.template.topics.length).toBe(6);

    await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    expect(fake.requests.filter((r) => task(r) === 'cascade-expand-domain').length).toBe(1);
    expect(fake.requests.find((r) => task(r) === 'cascade-expand-domain')?.flavour).toBe('deepseek');
    expect(await json(path.join(dir, 'domain.json'))).toEqual(domainBefore);
    const { raw, train } = await readRun(dir);
    const subtopics = new Set(domainBefore.template.topics.flatMap((topic: { subtopics: string[] }) => topic.subtopics));
    for (const pair of raw) expect(subtopics.has(pair.subtopic)).toBe(true);
    expect(train.length).toBeGreaterThan(0);
    expect(train[0]!.source.domain).toBe('veterinary dermatology');
    await app.close();
    await world.cleanup();
  });

  it('estimates with dry_run and no API keys, and refuses to start without them', async () => {
    const world = await makeWorld({ env: { DEEPSEEK_API_KEY: '', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' } });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const result = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 10_000, dry_run: true } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toMatch(/Dry run, nothing spent/);
    const estimate = (result.structuredContent as { estimate: { calls: Record<string, number>; cost_usd: { low: number; expected: number; high: number }; cost_by_stage_usd: { generate: { expected: number } }; expected: { golden: number; approved: number } } }).estimate;
    // 10,000 over 31 subtopics at 8 a call: 41 calls per subtopic, the last of each part-full.
    expect(estimate.calls.generate).toBe(31 * 41);
    expect(estimate.calls.format).toBeGreaterThan(9000);
    expect(estimate.calls.validate).toBeGreaterThan(8500);
    expect(estimate.cost_usd.low).toBeGreaterThan(0);
    expect(estimate.cost_usd.low).toBeLessThanOrEqual(estimate.cost_usd.expected);
    expect(estimate.cost_usd.expected).toBeLessThanOrEqual(estimate.cost_usd.high);
    expect(estimate.expected.golden).toBe(Math.round(estimate.expected.approved * 0.09));
    const stageA = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 10_000, dry_run: true, stage_a_only: true } });
    const stageAEstimate = (stageA.structuredContent as { estimate: { cost_usd: { expected: number } } }).estimate;
    expect(stageAEstimate.cost_usd.expected).toBeLessThan(estimate.cost_usd.expected);
    expect(stageAEstimate.cost_usd.expected).toBeCloseTo(estimate.cost_by_stage_usd.generate.expected, 6);

    const refused = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 100 } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('DEEPSEEK_API_KEY');
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await app.close();
    await world.cleanup();
  });

  it('refuses a budget below the estimate before any paid call, with the figures', async () => {
    const world = await makeWorld({ fake, env: { DISTILLERY_BUDGET_USD: '0.01' } });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const result = await client.callTool({ name: 'start_cascade', arguments: { domain: 'education', samples: 5000 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/needs about \$[\d.]+ .*Nothing was spent.*stage_a_only/);
    expect(fake.requests.length).toBe(0);
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await app.close();
    await world.cleanup();
  });

  it('gives a clear error for an unusable domain or sample count, and spends nothing', async () => {
    const world = await makeWorld({ fake });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ domain: '', samples: 10 }, /domain "" .*not usable.*medical.*veterinary dermatology/],
      [{ domain: '???', samples: 10 }, /domain "\?\?\?" .*template name/],
      [{ domain: 'x'.repeat(300), samples: 10 }, /300 characters/],
      [{ domain: 'medical', samples: 0 }, /samples/],
      [{ domain: 'medical', samples: 2.5 }, /samples/],
      [{ domain: 'medical', samples: 10, golden_fraction: 0.9 }, /golden_fraction/],
    ];
    for (const [args, pattern] of cases) {
      const result = await client.callTool({ name: 'start_cascade', arguments: args });
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toMatch(pattern);
    }
    expect(fake.requests.length).toBe(0);
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await app.close();
    await world.cleanup();
  });

  it('runs from the command line: distillery cascade --dry-run estimates, and a real run ends with its files', async () => {
    const world = await makeWorld({ fake });
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; output: string }>((resolve) => {
        const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], { cwd: world.dir, env: { ...process.env, ...world.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += String(chunk)));
        child.stderr.on('data', (chunk) => (output += String(chunk)));
        child.on('exit', (code) => resolve({ code, output }));
      });
    const dry = await cli(['cascade', '--samples', '10000', '--domain', 'medical', '--dry-run']);
    expect(dry.code, dry.output).toBe(0);
    expect(dry.output).toMatch(/Dry run, nothing spent\. 10,000 samples from the medical template .* \$[\d.]+ \(range/);
    // The command line speaks of its own flags, not of MCP tools.
    expect(dry.output).toContain('Run the same command without --dry-run to start.');
    expect(dry.output).not.toMatch(/start_cascade|dry_run/);
    expect(fake.requests.length).toBe(0);
    const run = await cli(['cascade', '--samples', '40', '--domain', 'customer support', '--golden-fraction', '0.2']);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Started run r-\S+/);
    expect(run.output).toMatch(/Following it here; Ctrl-C cancels it, and distillery resume r-\S+ continues it later\./);
    expect(run.output).not.toContain('run_status');
    expect(run.output).toMatch(/Files: .*runs/);
    const runId = /Started run (r-\S+)/.exec(run.output)![1]!;
    const metrics = await json(path.join(world.home, 'runs', runId, 'metrics.json'));
    expect(metrics.funnel.split.golden).toBe(Math.round(metrics.funnel.split.approved * 0.2));
    for (const key of Object.values(sentinels)) expect(run.output).not.toContain(key);
    await world.cleanup();
  });
});
