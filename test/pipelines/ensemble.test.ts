import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { reply, type FakeRequest } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, existsSync, makeApp, makeWorld, sharedFake, type TestWorld, textOf } from '../helpers.js';
import type { App } from '../../src/app.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { promptKey } from '../../src/pipelines/ensemble/inputs.js';
import { seededOrder } from '../../src/pipelines/ensemble/schemas.js';
import type { EnsembleSample } from '../../src/pipelines/ensemble/pipeline.js';

// A Saturday: DeepSeek off-peak, so costs do not depend on the day the test runs.
const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
const defaultTeachers = ['deepseek/deepseek-v4-flash', 'openai/gpt-6-luna', 'anthropic/claude-haiku-5-5'];

interface PreferencePair { id: string; instruction: string; chosen: string; rejected: string; chosen_score: number; rejected_score: number; source: { run: string } }
interface AnswerLine { id: string; teacher: string; answer: string | null }

const fake = sharedFake();

const questions = Array.from({ length: 30 }, (_, i) => `How should case ${i} about ${['tenancy deposits', 'overtime pay', 'medical consent', 'data retention', 'late invoices'][i % 5]} be handled when the ${['tenant', 'employer', 'patient', 'vendor', 'customer'][(i * 3) % 5]} objects?`);

async function setup(options: { env?: Record<string, string>; corpus?: string[] } = {}): Promise<{ world: TestWorld; app: App; client: Client; close(): Promise<void> }> {
  const world = await makeWorld({ fake, ...options });
  const app = await makeApp(world, { now: saturday });
  const client = await connectClient(app);
  return { world, app, client, close: async () => { await app.close(); await world.cleanup(); } };
}

async function start(client: Client, args: Record<string, unknown>): Promise<string> {
  const started = await client.callTool({ name: 'start_ensemble', arguments: args });
  expect(started.isError, textOf(started)).toBeFalsy();
  return (started.structuredContent as { run_id: string }).run_id;
}

async function files(app: App, runId: string) {
  const dir = app.engine.runDir(runId);
  return {
    dir,
    consensus: await readJsonlArray<EnsembleSample>(path.join(dir, 'consensus.jsonl')),
    answers: await readJsonlArray<AnswerLine>(path.join(dir, 'teacher_answers.jsonl')),
    pairs: await readJsonlArray<PreferencePair>(path.join(dir, 'preference_pairs.jsonl')),
    metrics: existsSync(path.join(dir, 'metrics.json')) ? JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8')) : undefined,
  };
}

/** The labelled answers a judge request showed, by label. */
function shownAnswers(request: FakeRequest): Map<string, string> {
  return new Map([...request.userText.matchAll(/<answer label="([A-Z]+)">\n([\s\S]*?)\n\n<reasoning>/g)].map((m) => [m[1]!, m[2]!]));
}

describe('start_ensemble against the fake providers', () => {
  it('answers a .jsonl prompts file with three teachers, a judge, consensus, votes, agreement and preference pairs', async () => {
    const { world, app, client, close } = await setup();
    const lines = questions.map((q, i) => JSON.stringify(i % 4 === 0 ? { instruction: q, input: `Facts: case ${i}.` } : { instruction: q }));
    await writeFile(path.join(world.docs, 'prompts.jsonl'), `${lines.slice(0, 10).join('\n')}\n\n${lines.slice(10).join('\n')}\n`);
    const runId = await start(client, { prompts_file: 'prompts.jsonl' });
    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const { dir, consensus, answers, pairs, metrics } = await files(app, runId);
    expect(await readdir(dir)).toEqual(expect.arrayContaining(['prompts.jsonl', 'teacher_answers.jsonl', 'consensus.jsonl', 'preference_pairs.jsonl', 'metrics.json', 'calls.jsonl']));

    expect(answers.length).toBe(30 * 3);
    expect(consensus.length).toBe(30);
    const judgeRequests = fake.requests.filter((r) => r.system.startsWith('Task: ensemble-judge'));
    expect(judgeRequests.length).toBe(30);
    for (const sample of consensus) {
      expect(sample.perspectives.map((p) => p.teacher).sort()).toEqual([...defaultTeachers].sort());
      expect(new Set(sample.perspectives.map((p) => p.answer)).size).toBe(3);
      for (const p of sample.perspectives) {
        expect(p.score).toBeGreaterThanOrEqual(0);
        expect(p.score).toBeLessThanOrEqual(10);
        expect(answers.find((line) => line.id === sample.id && line.teacher === p.teacher)?.answer).toBe(p.answer);
      }
      expect(sample.agreement).toBeGreaterThanOrEqual(0);
      expect(sample.agreement).toBeLessThanOrEqual(1);
      expect(sample.output.length).toBeGreaterThan(0);
      expect(['picked', 'merged']).toContain(sample.consensus.method);
      // The vote maps back to the teacher the judge scored highest.
      const top = Math.max(...sample.perspectives.map((p) => p.score));
      expect(sample.perspectives.find((p) => p.teacher === sample.votes.best)?.score).toBe(top);
      // The order is the recorded one, seeded by the prompt, and is what the judge was shown.
      expect(sample.order).toEqual(seededOrder(defaultTeachers, promptKey(sample)));
      expect(sample.perspectives.map((p) => p.teacher)).toEqual(sample.order);
      const request = judgeRequests.find((r) => r.userText.includes(`<instruction>\n${sample.instruction}\n</instruction>`))!;
      const shown = shownAnswers(request);
      for (const p of sample.perspectives) expect(shown.get(p.label)).toBe(p.answer);
      expect(sample.source.file).toBe('prompts.jsonl');
      if (sample.agreement < 0.5) expect(sample.status).toBe('pending');
      else expect(sample.status).toBe(sample.scores.overall >= 7 ? 'approved' : 'rejected');
    }
    expect(new Set(consensus.map((s) => s.order.join(','))).size).toBeGreaterThan(2);
    expect(consensus.filter((s) => s.status === 'pending').length).toBeGreaterThan(0);
    expect(consensus.filter((s) => s.status === 'approved').length).toBeGreaterThan(0);
    expect(consensus.find((s) => s.instruction === questions[0])?.input).toBe('Facts: case 0.');

    expect(pairs.length).toBeGreaterThan(0);
    for (const pair of pairs) {
      expect(pair.chosen).not.toBe(pair.rejected);
      expect(pair.chosen_score).toBeGreaterThan(pair.rejected_score);
      expect(consensus.find((s) => s.id === pair.id)?.status).toBe('approved');
    }
    expect(metrics.counts).toMatchObject({ prompts: 30, teacher_answers: 90, judged: 30, preference_pairs: pairs.length });
    expect(metrics.counts.approved + metrics.counts.pending + metrics.counts.rejected).toBe(30);
    expect(metrics.cost_usd.total).toBeCloseTo(app.services.ledger.runSpent(runId), 12);
    expect(metrics.cost_per_sample_usd).toBeCloseTo(metrics.cost_usd.total / 30, 12);
    expect(Object.keys(metrics.cost_usd.by_teacher).sort()).toEqual([...defaultTeachers].sort());
    expect(fake.counts()).toEqual({ deepseek: 30, openai: 30, anthropic: 60 });
    await close();
  });

  it('reads a .txt prompts file, skipping and counting blank lines, capped by samples', async () => {
    const { world, app, client, close } = await setup();
    await writeFile(path.join(world.docs, 'questions.txt'), `${questions.slice(0, 4).join('\n')}\n\n   \n${questions.slice(4, 8).join('\n')}\n`);
    const dry = await client.callTool({ name: 'start_ensemble', arguments: { prompts_file: 'questions.txt', dry_run: true } });
    expect(dry.isError, textOf(dry)).toBeFalsy();
    expect(dry.structuredContent).toMatchObject({ source: { kind: 'file', prompts: 8, blank_lines: 3 } });
    expect(textOf(dry)).toMatch(/Dry run, nothing spent.*3 blank lines skipped/);
    const runId = await start(client, { prompts_file: 'questions.txt', samples: 5, teachers: ['deepseek/deepseek-v4-flash', 'openai/gpt-6-luna'] });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    const { consensus } = await files(app, runId);
    expect(consensus.map((s) => s.instruction)).toEqual(questions.slice(0, 5));
    for (const sample of consensus) expect(sample.perspectives.map((p) => p.teacher).sort()).toEqual(['deepseek/deepseek-v4-flash', 'openai/gpt-6-luna']);
    await close();
  });

  it('takes its prompts from the approved samples of an earlier distill run', async () => {
    const { app, client, close } = await setup({ corpus: ['legal_guide.txt'] });
    const distilled = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: 1 } });
    const distillId = (distilled.structuredContent as { run_id: string }).run_id;
    expect((await app.engine.wait(distillId)).status).toBe('completed');
    const golden = await readJsonlArray<{ id: string; instruction: string }>(path.join(app.engine.runDir(distillId), 'golden_dataset.jsonl'));
    expect(golden.length).toBeGreaterThan(6);
    const runId = await start(client, { run_id: distillId, samples: 6 });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    const { consensus, metrics } = await files(app, runId);
    expect(consensus.map((s) => s.instruction)).toEqual(golden.slice(0, 6).map((s) => s.instruction));
    for (const sample of consensus) {
      expect(sample.source.from_run).toBe(distillId);
      expect(golden.map((g) => g.id)).toContain(sample.source.from_sample);
    }
    expect(metrics.source).toMatchObject({ kind: 'run', run_id: distillId });
    await close();
  });

  it('generates prompts for a domain first, journaled and de-duplicated, then answers them', async () => {
    const { app, client, close } = await setup();
    const runId = await start(client, { domain: 'veterinary dermatology', samples: 12 });
    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const { dir, consensus, metrics } = await files(app, runId);
    const prompts = await readJsonlArray<{ instruction: string }>(path.join(dir, 'prompts.jsonl'));
    expect(prompts.length).toBe(12);
    expect(new Set(prompts.map((p) => p.instruction)).size).toBe(12);
    expect(consensus.length).toBe(12);
    for (const sample of consensus) expect(sample.source.domain).toBe('veterinary dermatology');
    const generation = fake.requests.filter((r) => r.system.startsWith('Task: ensemble-prompts'));
    expect(generation.length).toBeGreaterThan(1); // the fake repeats a prompt, so a top-up batch was needed
    expect(generation.every((r) => r.flavour === 'deepseek')).toBe(true);
    expect(metrics.counts.duplicate_prompts).toBeGreaterThan(0);

    // A resume from the journal regenerates the same prompts without paying again.
    const before = fake.requests.length;
    await app.services.catalog.patchRun(runId, { status: 'interrupted' });
    await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    expect(fake.requests.length).toBe(before);
    expect((await files(app, runId)).consensus).toEqual(consensus.map((s) => ({ ...s, review: { ...s.review, at: expect.any(String) } })));
    await close();
  });

  it('pauses with reason provider when one teacher hits a billing error, and resume_run without that teacher completes', async () => {
    const { world, app, client, close } = await setup();
    await writeFile(path.join(world.docs, 'prompts.txt'), questions.slice(0, 12).join('\n'));
    let openaiCalls = 0;
    fake.responder = (request) => (request.flavour === 'openai' && ++openaiCalls > 4 ? reply.billing('openai') : distilleryResponder(request));
    const runId = await start(client, { prompts_file: 'prompts.txt' });
    const paused = await app.engine.wait(runId);
    expect(paused.status).toBe('paused');
    expect(paused.pause?.reason).toBe('provider');
    expect(paused.pause?.message).toMatch(/quota|billing|Top up/i);

    const wrong = await client.callTool({ name: 'resume_run', arguments: { run_id: runId, drop_teachers: ['mistral/large'] } });
    expect(wrong.isError).toBe(true);
    expect(textOf(wrong)).toMatch(/no teacher mistral\/large/);
    const openaiBefore = fake.counts().openai;
    const resumed = await client.callTool({ name: 'resume_run', arguments: { run_id: runId, drop_teachers: ['openai/gpt-6-luna'] } });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    const done = await app.engine.wait(runId);
    expect(done.status, JSON.stringify(done.pause ?? done.error)).toBe('completed');
    expect(fake.counts().openai).toBe(openaiBefore);
    const { consensus, metrics } = await files(app, runId);
    expect(consensus.length).toBe(12);
    for (const sample of consensus) expect(sample.perspectives.map((p) => p.teacher).sort()).toEqual(['anthropic/claude-haiku-5-5', 'deepseek/deepseek-v4-flash']);
    expect(metrics.teachers).toEqual(['deepseek/deepseek-v4-flash', 'anthropic/claude-haiku-5-5']);
    expect(metrics.dropped_teachers).toEqual(['openai/gpt-6-luna']);
    await close();
  });

  it('pauses for budget when max_usd runs out mid-way, then finishes after resume_run raises it, in the same seeded orders', async () => {
    fake.responder = (request) => {
      const answer = distilleryResponder(request);
      return answer.kind === 'text' ? { ...answer, usage: { output: request.maxTokens } } : answer;
    };
    const { world, app, client, close } = await setup();
    await writeFile(path.join(world.docs, 'prompts.txt'), questions.join('\n'));
    const dry = await client.callTool({ name: 'start_ensemble', arguments: { prompts_file: 'prompts.txt', dry_run: true } });
    const expected = (dry.structuredContent as { estimate: { cost_usd: { expected: number } } }).estimate.cost_usd.expected;
    const runId = await start(client, { prompts_file: 'prompts.txt', max_usd: expected * 1.05 });
    const paused = await app.engine.wait(runId);
    expect(paused.status).toBe('paused');
    expect(paused.pause?.reason).toBe('budget');
    expect(app.services.ledger.runSpent(runId)).toBeLessThanOrEqual(expected * 1.05 + 1e-12);
    const resumed = await client.callTool({ name: 'resume_run', arguments: { run_id: runId, max_usd: 100 } });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    expect((await app.engine.wait(runId)).status).toBe('completed');
    const { consensus } = await files(app, runId);
    expect(consensus.length).toBe(30);
    for (const sample of consensus) expect(sample.order).toEqual(seededOrder(defaultTeachers, promptKey(sample)));
    await close();
  });

  it('cancels a running ensemble and resumes it to the end', async () => {
    fake.latencyMs = 100;
    const { world, app, client, close } = await setup();
    await writeFile(path.join(world.docs, 'prompts.txt'), questions.join('\n'));
    const runId = await start(client, { prompts_file: 'prompts.txt' });
    const cancelled = await client.callTool({ name: 'cancel_run', arguments: { run_id: runId } });
    expect((cancelled.structuredContent as { status: string }).status).toBe('cancelled');
    fake.latencyMs = 0;
    await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect((await app.engine.wait(runId)).status).toBe('completed');
    expect((await files(app, runId)).consensus.length).toBe(30);
    await close();
  });

  it('estimates with dry_run and no API keys, spending nothing, and refuses to start without them', async () => {
    const { world, client, close } = await setup({ env: { DEEPSEEK_API_KEY: '', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' } });
    await writeFile(path.join(world.docs, 'prompts.txt'), questions.join('\n'));
    const result = await client.callTool({ name: 'start_ensemble', arguments: { prompts_file: 'prompts.txt', dry_run: true } });
    expect(result.isError, textOf(result)).toBeFalsy();
    const estimate = (result.structuredContent as { estimate: { calls: { answer: number; judge: number }; cost_usd: { low: number; expected: number; high: number }; cost_per_sample_usd: { expected: number } } }).estimate;
    expect(estimate.calls).toMatchObject({ answer: 90, judge: 30 });
    expect(estimate.cost_usd.low).toBeGreaterThan(0);
    expect(estimate.cost_usd.low).toBeLessThanOrEqual(estimate.cost_usd.expected);
    expect(estimate.cost_usd.expected).toBeLessThanOrEqual(estimate.cost_usd.high);
    expect(estimate.cost_per_sample_usd.expected).toBeCloseTo(estimate.cost_usd.expected / 30, 12);
    const domain = await client.callTool({ name: 'start_ensemble', arguments: { domain: 'tax law', samples: 100, dry_run: true } });
    expect((domain.structuredContent as { estimate: { calls: { prompts: number } } }).estimate.calls.prompts).toBe(4);
    const started = await client.callTool({ name: 'start_ensemble', arguments: { prompts_file: 'prompts.txt' } });
    expect(started.isError).toBe(true);
    expect(textOf(started)).toMatch(/DEEPSEEK_API_KEY|OPENAI_API_KEY|ANTHROPIC_API_KEY/);
    expect(fake.requests.length).toBe(0);
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await close();
  });

  it('refuses bad input and a budget below the estimate before any call', async () => {
    const { world, client, close } = await setup({ env: { DISTILLERY_BUDGET_USD: '0.0001' } });
    await writeFile(path.join(world.docs, 'prompts.txt'), questions.join('\n'));
    await writeFile(path.join(world.docs, 'bad.jsonl'), '{"instruction": "A fine question here?"}\n{"input": "no instruction"}\n');
    await writeFile(path.join(world.docs, 'blank.txt'), '\n\n  \n');
    await writeFile(path.join(world.dir, 'outside.jsonl'), '{"instruction": "A question kept outside the roots?"}\n');
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ prompts_file: 'prompts.txt' }, /needs about \$[\d.]+ .*Nothing was spent/],
      [{ prompts_file: 'prompts.txt', domain: 'law' }, /exactly one source/],
      [{}, /exactly one source/],
      [{ prompts_file: 'bad.jsonl', dry_run: true }, /line 2 needs a non-empty "instruction"/],
      [{ prompts_file: 'blank.txt', dry_run: true }, /only whitespace|no prompts/],
      [{ prompts_file: 'prompts.txt', teachers: ['mistral/large', 'openai/gpt-6-luna'], dry_run: true }, /provider "mistral" is not configured/],
      [{ prompts_file: 'prompts.txt', teachers: ['openai/gpt-unknown', 'openai/gpt-6-luna'], dry_run: true }, /No price is known for openai\/gpt-unknown/],
      [{ prompts_file: 'prompts.txt', teachers: ['openai/gpt-6-luna', 'openai/gpt-6-luna'], dry_run: true }, /at least two different teachers/],
      [{ prompts_file: '../outside.jsonl', dry_run: true }, /outside the allowed roots/],
      [{ prompts_file: path.join(world.dir, 'outside.jsonl'), dry_run: true }, /outside the allowed roots/],
      [{ prompts_file: 'notes.md', dry_run: true }, /use \.jsonl .* or \.txt/],
      [{ run_id: 'r-nothing', dry_run: true }, /No run "r-nothing"/],
    ];
    for (const [args, pattern] of refusals) {
      const result = await client.callTool({ name: 'start_ensemble', arguments: args });
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toMatch(pattern);
    }
    expect(fake.requests.length).toBe(0);
    expect(existsSync(path.join(world.home, 'runs'))).toBe(false);
    await close();
  });
});
