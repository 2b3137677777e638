import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/provider-server.js';
import { isCascadeGenerate as isGenerate, thirtyPercentShort } from '../fakes/short-generator.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';

const fake = sharedFake();

async function runCascade(world: TestWorld, input: Record<string, unknown>) {
  const app = await makeApp(world);
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'start_cascade', arguments: input });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const record = await app.engine.wait(runId);
  const dir = app.engine.runDir(runId);
  const status = await client.callTool({ name: 'run_status', arguments: { run_id: runId } });
  const result = {
    record,
    started: started.structuredContent as { estimate: { samples: number; basis: string; expected: { approved: number } }; approval_rate: { rate: number; past_runs: number } | null },
    status: { text: textOf(status), view: status.structuredContent as { shortfall?: { target: string; requested: number; delivered: number; short: number; reason: string } } },
    metrics: JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8')),
    raw: await readJsonlArray<{ id: string }>(path.join(dir, 'stage_a_raw_pairs.jsonl')),
    train: await readJsonlArray<Sample>(path.join(dir, 'train.jsonl')),
    golden: await readJsonlArray<Sample>(path.join(dir, 'golden_test_set.jsonl')),
  };
  await app.close();
  return result;
}

describe('a cascade delivers the count it was asked for', () => {
  it('re-asks the slots a generator leaves unanswered (30% of each call, and one call that fails) until every one is generated', async () => {
    const failedOnce = new Set<string>();
    fake.responder = (request) => {
      // The first call on one subtopic answers garbage twice: the call fails, and all its slots are asked again.
      if (isGenerate(request) && request.userText.includes('Subtopic: Hypertension management') && !failedOnce.has(request.userText)) {
        const reask = request.userText.indexOf('\n\nYour previous answer');
        if (reask >= 0) failedOnce.add(request.userText.slice(0, reask));
        return { kind: 'text', text: 'no json here' };
      }
      return thirtyPercentShort(request);
    };
    const world = await makeWorld({ fake });
    const { record, metrics, raw, status } = await runCascade(world, { domain: 'medical', samples: 240 });
    expect(record.status, JSON.stringify(record.pause ?? record.error)).toBe('completed');
    expect(raw.length).toBe(240);
    expect(new Set(raw.map((pair) => pair.id)).size).toBe(240);
    expect(metrics.counts.generated).toBe(240);
    expect(metrics.funnel.stage_a).toMatchObject({ requested: 240, pairs: 240, missing: 0 });
    expect(metrics.funnel.stage_a.reasked).toBeGreaterThan(240 * 0.3);
    // Each new prompt on that subtopic fails once; every one of its slots was still generated.
    expect(metrics.drop_reasons.output_malformed_json).toBeGreaterThan(0);
    expect(metrics.funnel.stage_a.failed_calls).toBe(metrics.drop_reasons.output_malformed_json);
    expect(metrics.shortfall).toBeNull();
    expect(status.view.shortfall).toBeUndefined();
    // Every re-ask asked only for what was missing.
    const generate = fake.requests.filter(isGenerate);
    expect(generate.length).toBeGreaterThan(31);
    const asked = generate.filter((r) => !r.userText.includes('Your previous answer')).reduce((sum, r) => sum + Number(/Pairs to write: (\d+)/.exec(r.userText)![1]), 0);
    expect(asked).toBe(240 + metrics.funnel.stage_a.reasked);
    await world.cleanup();
  });

  it('with target "approved" plans fresh slots until that many pairs are in train plus golden', async () => {
    fake.responder = thirtyPercentShort;
    const world = await makeWorld({ fake });
    // min_score 8 approves fewer than the assumed rate, so the first wave falls short and top-ups follow.
    const first = await runCascade(world, { domain: 'medical', samples: 150, target: 'approved', min_score: 8 });
    expect(first.record.status, JSON.stringify(first.record.pause ?? first.record.error)).toBe('completed');
    expect(first.started.approval_rate).toMatchObject({ past_runs: 0 });
    expect(first.started.estimate.basis).toMatch(/raw pairs planned for 150 approved at an approval rate of \d+% assumed/);
    expect(first.started.estimate.expected.approved).toBeGreaterThanOrEqual(149);
    expect(first.train.length + first.golden.length).toBeGreaterThanOrEqual(150);
    expect(first.metrics.top_up_waves).toBeGreaterThan(0);
    expect(first.metrics.shortfall).toBeNull();
    const ids = first.raw.map((pair) => pair.id);
    expect(new Set(ids).size).toBe(ids.length);

    // The next estimate uses the approval rate this run measured.
    const measured = (first.train.length + first.golden.length) / first.metrics.counts.generated;
    const app = await makeApp(world);
    const client = await connectClient(app);
    const dry = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 150, target: 'approved', min_score: 8, dry_run: true } });
    const estimate = dry.structuredContent as { approval_rate: { rate: number; past_runs: number }; estimate: { samples: number; basis: string } };
    expect(estimate.approval_rate.past_runs).toBe(1);
    expect(estimate.approval_rate.rate).toBeCloseTo(measured, 10);
    expect(estimate.estimate.samples).toBe(Math.ceil(150 / measured));
    expect(estimate.estimate.basis).toMatch(/measured over 1 past cascade/);
    const plan = await client.callTool({ name: 'plan_budget', arguments: { goals: { cascades: [{ domain: 'medical', samples: 150, target: 'approved' }] } } });
    expect(plan.isError, textOf(plan)).toBeFalsy();
    expect(JSON.stringify(plan.structuredContent)).toMatch(/measured over 1 past cascade/);
    const refused = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 150, target: 'approved', stage_a_only: true, dry_run: true } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/target "approved" .*stage_a_only/);
    await app.close();
    await world.cleanup();
  });

  it('stops re-asking after a bounded number of rounds and says in run_status how many are short and why', async () => {
    // Never answers slots 1 and 2 of one subtopic: its re-asks get an empty list, which fails each call.
    fake.responder = (request) => {
      if (isGenerate(request) && request.userText.includes('Subtopic: Hypertension management')) {
        const reply = distilleryResponder(request) as { text: string };
        const pairs = (JSON.parse(reply.text) as { pairs: { slot: number }[] }).pairs.filter((pair) => pair.slot > 2);
        return { kind: 'text', text: JSON.stringify({ pairs }) };
      }
      return distilleryResponder(request);
    };
    const world = await makeWorld({ fake });
    const { record, metrics, status } = await runCascade(world, { domain: 'medical', samples: 100, stage_a_only: true });
    expect(record.status).toBe('completed');
    // 100 samples over 31 subtopics: 31 calls; then five rounds of one call for the two slots, each sent twice (the client's re-ask).
    expect(fake.requests.filter(isGenerate).length).toBe(31 + 5 * 2);
    expect(metrics.counts.generated).toBe(98);
    expect(metrics.funnel.stage_a).toMatchObject({ missing: 2, reasked: 5 * 2, failed_calls: 5 });
    expect(metrics.shortfall).toMatchObject({ target: 'generated', requested: 100, delivered: 98, short: 2 });
    expect(status.view.shortfall).toEqual(metrics.shortfall);
    expect(status.view.shortfall!.reason).toBe('2 slots were still unanswered after 6 asks each (output_schema_mismatch ×2)');
    expect(status.text).toContain('2 of the 100 generated pairs asked for are missing: 2 slots were still unanswered after 6 asks each');
    await world.cleanup();
  });
});
