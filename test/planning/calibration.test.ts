import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { billsMaxTokens } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf } from '../helpers.js';
import { calibrate, describeBasis, tokenBasis } from '../../src/planning/calibration.js';
import type { PastRun } from '../../src/planning/history.js';
import { usd } from '../../src/util/format.js';

const models = 'generate=deepseek/deepseek-v4-flash; validate=anthropic/claude-haiku-5-5';
const past = (runId: string, costUsd: number, units: number, extra: Partial<PastRun> = {}): PastRun => ({ runId, kind: 'distill', variant: 'full', models, costUsd, units, finishedAt: '2026-11-01T00:00:00Z', ...extra });
const token = { low: 1, expected: 2, high: 4 };

describe('calibrate', () => {
  it('blends the token estimate with the measured cost per approved pair, weighted n/(n+2)', () => {
    // Measured: $3 for 200 approved pairs = $0.015 a pair; 100 expected pairs = $1.50 measured.
    const result = calibrate([past('a', 1, 100), past('b', 2, 100)], { kind: 'distill', variant: 'full', models, units: 100, costUsd: token });
    expect(result.calibration?.pastRuns).toBe(2);
    expect(result.calibration?.weight).toBeCloseTo(0.5, 12);
    expect(result.calibration?.measuredUsdPerUnit).toBeCloseTo(0.015, 12);
    expect(result.costUsd.expected).toBeCloseTo(0.5 * 2 + 0.5 * 1.5, 12);
    const ratio = result.costUsd.expected / 2;
    expect(result.costUsd.low).toBeCloseTo(1 * ratio, 12);
    expect(result.costUsd.high).toBeCloseTo(4 * ratio, 12);
    expect(result.basis).toBe('calibrated with 2 past distill runs: $0.015 per approved pair measured, weighted 50% against the token estimate of $2.00 (token counts × price table)');
  });

  it('trusts one run a third and many runs nearly fully', () => {
    const one = calibrate([past('a', 1, 100)], { kind: 'distill', variant: 'full', models, units: 100, costUsd: token });
    expect(one.calibration?.weight).toBeCloseTo(1 / 3, 12);
    expect(one.costUsd.expected).toBeCloseTo((2 / 3) * 2 + (1 / 3) * 1, 12);
    const many = calibrate(Array.from({ length: 18 }, (_, i) => past(`r${i}`, 1, 100)), { kind: 'distill', variant: 'full', models, units: 100, costUsd: token });
    expect(many.calibration?.weight).toBeCloseTo(18 / 20, 12);
    expect(Math.abs(many.costUsd.expected - 1)).toBeLessThan(Math.abs(one.costUsd.expected - 1));
  });

  it('ignores runs of another pipeline, another variant or other models', () => {
    const history = [
      past('a', 1, 100, { models: 'generate=openai/gpt-6-luna; validate=anthropic/claude-haiku-5-5' }),
      past('b', 1, 100, { kind: 'cascade' }),
      past('c', 1, 100, { variant: 'stage_a' }),
    ];
    const result = calibrate(history, { kind: 'distill', variant: 'full', models, units: 100, costUsd: token });
    expect(result.calibration).toBeNull();
    expect(result.costUsd).toEqual(token);
    expect(result.basis).toBe(tokenBasis);
    expect(describeBasis('distill', null)).toBe('token counts × price table');
  });
});

// A Saturday: DeepSeek off-peak, so measured costs do not depend on the hour the test runs.
const saturday = () => new Date(Date.UTC(2026, 10, 28, 12, 0, 0));

describe('estimates after completed runs', () => {
  const fake = sharedFake(billsMaxTokens);

  it('moves the dry-run and plan estimates toward the measured cost per approved pair and says so', async () => {
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'] });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const dryRun = async () => {
      const result = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', dry_run: true } });
      expect(result.isError, textOf(result)).toBeFalsy();
      return { text: textOf(result), estimate: (result.structuredContent as { estimate: { cost_usd: { low: number; expected: number; high: number }; expected_approved_pairs: number; basis: string; calibration: null | { past_runs: number; weight: number; measured_usd_per_unit: number; token_estimate_usd: { expected: number } } } }).estimate };
    };
    const before = await dryRun();
    expect(before.estimate.calibration).toBeNull();
    expect(before.estimate.basis).not.toContain('calibrated');

    const metrics: { cost_usd: { total: number }; counts: { approved: number } }[] = [];
    for (const pairs of [1, 2]) {
      const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: pairs, chunk_tokens: 2000 } });
      expect(started.isError, textOf(started)).toBeFalsy();
      const runId = (started.structuredContent as { run_id: string }).run_id;
      expect((await app.engine.wait(runId)).status).toBe('completed');
      metrics.push(JSON.parse(await readFile(path.join(app.engine.runDir(runId), 'metrics.json'), 'utf8')));
    }
    const measuredPerPair = (metrics[0]!.cost_usd.total + metrics[1]!.cost_usd.total) / (metrics[0]!.counts.approved + metrics[1]!.counts.approved);

    const after = await dryRun();
    const approved = after.estimate.expected_approved_pairs;
    const tokenExpected = before.estimate.cost_usd.expected;
    const measured = measuredPerPair * approved;
    expect(measured).toBeGreaterThan(tokenExpected * 1.5); // the fake really billed more than estimated
    expect(after.estimate.calibration?.past_runs).toBe(2);
    expect(after.estimate.calibration?.weight).toBeCloseTo(0.5, 12);
    expect(after.estimate.calibration?.measured_usd_per_unit).toBeCloseTo(measuredPerPair, 12);
    expect(after.estimate.calibration?.token_estimate_usd.expected).toBeCloseTo(tokenExpected, 12);
    expect(after.estimate.cost_usd.expected).toBeCloseTo(0.5 * tokenExpected + 0.5 * measured, 12);
    expect(Math.abs(after.estimate.cost_usd.expected - measured)).toBeLessThan(Math.abs(tokenExpected - measured));
    expect(after.estimate.cost_usd.high / after.estimate.cost_usd.expected).toBeCloseTo(before.estimate.cost_usd.high / before.estimate.cost_usd.expected, 9);
    expect(after.estimate.basis).toMatch(/^calibrated with 2 past distill runs: \$[\d.]+ per approved pair measured, weighted 50%/);
    expect(after.text).toContain('calibrated with 2 past distill runs');

    const planned = await client.callTool({ name: 'plan_budget', arguments: { goals: { documents: [{ path: 'technical_manual.txt' }] } } });
    const plan = planned.structuredContent as { runs: { cost_usd: { expected: number }; basis: string }[]; basis: string };
    expect(plan.runs[0]!.basis).toContain('calibrated with 2 past distill runs');
    expect(plan.runs[0]!.cost_usd.expected).toBeCloseTo(after.estimate.cost_usd.expected, 12);
    expect(plan.basis).toContain('calibrated with the measured cost per approved pair');
    // A cascade has no past runs here, so its estimate stays on token counts.
    const cascade = await client.callTool({ name: 'plan_budget', arguments: { goals: { cascades: [{ domain: 'general', samples: 100 }] } } });
    expect((cascade.structuredContent as { runs: { basis: string }[] }).runs[0]!.basis).toBe('token counts × price table');
    await client.close();
    await app.close();
    await world.cleanup();
  });

  it('calibrates the start_ensemble dry run with past ensembles of the same teachers and judge', async () => {
    const world = await makeWorld({ fake });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const dryRun = async () => (await client.callTool({ name: 'start_ensemble', arguments: { domain: 'tax law', samples: 40, dry_run: true } })).structuredContent as { estimate: { cost_usd: { expected: number }; basis: string; calibration: { past_runs: number; unit: string } | null } };
    const before = await dryRun();
    expect(before.estimate.calibration).toBeNull();
    const started = await client.callTool({ name: 'start_ensemble', arguments: { domain: 'tax law', samples: 12 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    expect((await app.engine.wait((started.structuredContent as { run_id: string }).run_id)).status).toBe('completed');
    const after = await dryRun();
    expect(after.estimate.calibration).toMatchObject({ past_runs: 1, unit: 'approved sample' });
    expect(after.estimate.basis).toMatch(/^calibrated with 1 past ensemble run: \$[\d.]+ per approved sample measured, weighted 33%/);
    expect(after.estimate.cost_usd.expected).not.toBeCloseTo(before.estimate.cost_usd.expected, 9);
    await client.close();
    await app.close();
    await world.cleanup();
  });

  it('calibrates a cascade with past cascades of the same variant, read from the metrics the cascade writes', async () => {
    const world = await makeWorld({ fake });
    const app = await makeApp(world, { now: saturday });
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'start_cascade', arguments: { domain: 'general', samples: 40, stage_a_only: true } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const runId = (started.structuredContent as { run_id: string }).run_id;
    expect((await app.engine.wait(runId)).status).toBe('completed');
    const metrics = JSON.parse(await readFile(path.join(app.engine.runDir(runId), 'metrics.json'), 'utf8')) as { cost_usd: { total: number }; counts: { generated: number } };

    const planned = await client.callTool({ name: 'plan_budget', arguments: { goals: { cascades: [{ domain: 'general', samples: 1000, stage_a_only: true }, { domain: 'general', samples: 1000 }] } } });
    const runs = (planned.structuredContent as { runs: { label: string; basis: string }[] }).runs;
    const [stageA, full] = runs;
    expect(stageA?.basis).toBe(`calibrated with 1 past cascade run: ${usd(metrics.cost_usd.total / metrics.counts.generated)} per raw pair measured, weighted 33% against the token estimate of ${stageA!.basis.match(/token estimate of (\$[\d.]+)/)![1]} (token counts × price table)`);
    // A full cascade is another variant: a stage-A-only run says nothing about stages B and C.
    expect(full?.basis).toBe('token counts × price table');
    expect(textOf(planned)).toContain('Estimates: token counts × price table, calibrated with the measured cost');
    // The start_cascade dry run uses the same calibration and says so.
    const dry = await client.callTool({ name: 'start_cascade', arguments: { domain: 'general', samples: 1000, stage_a_only: true, dry_run: true } });
    expect(textOf(dry)).toMatch(/calibrated with 1 past cascade run/);
    expect((dry.structuredContent as { estimate: { calibration: unknown } }).estimate.calibration).not.toBeNull();
    await client.close();
    await app.close();
    await world.cleanup();
  });
});
