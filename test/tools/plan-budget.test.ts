import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import type { App } from '../../src/app.js';
import { cliCommand, connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';

interface Range {
  low: number;
  expected: number;
  high: number;
}
interface PlannedRun {
  kind: string;
  label: string;
  tool: string;
  arguments: Record<string, unknown>;
  mode: string;
  cost_usd: Range;
  cost_live_usd: Range;
  cost_batch_usd: Range;
  expected_approved: number;
  expected_raw_pairs: number;
}
interface Plan {
  budget_usd: number;
  reserve_usd: number;
  spent_usd: number;
  available_usd: number;
  tier: { name: string } | null;
  runs: (PlannedRun & { order: number; basis: string; off_peak_high_usd: number })[];
  planned_cost_usd: Range;
  planned_batch_cost_usd: Range;
  left_usd: number;
  not_fitting: (PlannedRun & { reason: string; cheaper_options: (PlannedRun & { change: string })[] })[];
  skipped_goals: { goal: string; reason: string }[];
  tips: string[];
  basis: string;
}

const corpus = ['legal_guide.txt', 'medical_manual.txt', 'technical_manual.txt'];
const goals = {
  documents: [{ path: 'legal_guide.txt' }, { path: 'medical_manual.txt', pairs_per_chunk: 6 }],
  cascades: [{ domain: 'medical', samples: 40_000 }, { domain: 'veterinary dermatology', samples: 30_000, stage_a_only: true }],
  ensembles: [{ samples: 8_000, domain: 'contract law' }],
};

let world: TestWorld;
let app: App;
let client: Client;
beforeAll(async () => {
  world = await makeWorld({ corpus });
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await client.close();
  await app.close();
  await world.cleanup();
});

async function plan(args: Record<string, unknown>): Promise<{ plan: Plan; text: string }> {
  const result = await client.callTool({ name: 'plan_budget', arguments: args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { plan: result.structuredContent as unknown as Plan, text: textOf(result) };
}

function expectWithinBudget(result: Plan, budget: number): void {
  expect(result.budget_usd).toBe(budget);
  expect(result.reserve_usd).toBeCloseTo(budget * 0.2, 10);
  expect(result.available_usd).toBeCloseTo(budget * 0.8, 10);
  const high = result.runs.reduce((sum, run) => sum + run.cost_usd.high, 0);
  expect(result.planned_cost_usd.high).toBeCloseTo(high, 10);
  expect(high).toBeLessThanOrEqual(budget - result.reserve_usd + 1e-9);
  for (const run of result.runs) {
    expect(run.cost_usd.low).toBeLessThanOrEqual(run.cost_usd.expected);
    expect(run.cost_usd.expected).toBeLessThanOrEqual(run.cost_usd.high);
  }
  result.runs.forEach((run, index) => expect(run.order).toBe(index + 1));
}

describe('plan_budget without goals follows the tiers', () => {
  it.each([
    [25, 1, true, false],
    [50, 2, false, false],
    [100, 2, false, false],
    [200, 2, false, true],
  ])('plans $%i within budget minus reserve on the high end and names the documents left out', async (budget, documents, stageAOnly, ensemble) => {
    const { plan: result, text } = await plan({ budget_usd: budget });
    expectWithinBudget(result, budget);
    expect(result.tier?.name).toBe(budget === 200 ? '$200+' : `$${budget}`);
    const distills = result.runs.filter((run) => run.kind === 'distill');
    expect(distills).toHaveLength(documents);
    // The documents with the most approved pairs go first; the rest are named as left out.
    expect(distills[0]!.label).toBe('medical_manual.txt');
    const leftOut = result.not_fitting.filter((item) => item.kind === 'distill').map((item) => item.label);
    expect(leftOut).toHaveLength(corpus.length - documents);
    for (const name of leftOut) expect(text).toContain(`${name}: the $${budget === 200 ? '200+' : budget} tier plans ${documents} document`);
    const cascade = result.runs.find((run) => run.kind === 'cascade');
    expect(cascade?.arguments.domain).toBe('general');
    expect(cascade?.arguments.stage_a_only === true).toBe(stageAOnly);
    expect(result.runs.some((run) => run.kind === 'ensemble')).toBe(ensemble);
    // Sized to the money left: what remains is small next to what was planned.
    expect(result.left_usd).toBeLessThan(result.available_usd * 0.05);
    expect(text).toMatch(/^Plan for \d{4}-\d{2} with a \$\d+\.00 budget/);
    expect(text).toContain('kept in reserve');
    expect(text).toMatch(/1\. medical_manual\.txt with distill_file: expected \$[\d.]+ \(\$[\d.]+-\$[\d.]+\) live, \$[\d.]+ in batch mode \(ready within 24 h\), about \d+ approved pairs/);
    expect(result.basis).toContain('token counts × price table');
  });

  it('gives runs whose start tools, in a dry run, estimate the same high end', async () => {
    const { plan: result } = await plan({ budget_usd: 100 });
    for (const run of result.runs) {
      const dry = await client.callTool({ name: run.tool, arguments: { ...run.arguments, dry_run: true } });
      expect(dry.isError, textOf(dry)).toBeFalsy();
      const estimate = (dry.structuredContent as { estimate: { cost_usd: Range } }).estimate;
      expect(estimate.cost_usd.high).toBeCloseTo(run.cost_usd.high, 9);
      expect(estimate.cost_usd.low).toBeCloseTo(run.cost_usd.low, 9);
    }
  });

  it('plans nothing but says so when the budget is all reserve', async () => {
    const { plan: result, text } = await plan({ budget_usd: 0 });
    expect(result.runs).toHaveLength(0);
    expect(result.available_usd).toBe(0);
    expect(text).toContain('Nothing fits');
    expect(result.not_fitting.some((item) => item.kind === 'cascade' && /even 100 samples need up to/.test(item.reason))).toBe(true);
  });
});

describe('plan_budget with goals', () => {
  it.each([25, 50, 100, 200])('keeps the $%i plan within budget minus reserve and names every goal that does not fit', async (budget) => {
    const { plan: result, text } = await plan({ budget_usd: budget, goals });
    expectWithinBudget(result, budget);
    expect(result.tier).toBeNull();
    // Every goal is either planned or named as not fitting.
    expect(result.runs.length + result.not_fitting.length).toBe(5);
    expect(result.runs.filter((run) => run.kind === 'distill').map((run) => run.label)).toEqual(['legal_guide.txt', 'medical_manual.txt']);
    for (const item of result.not_fitting) {
      expect(text).toContain(`- ${item.label}: needs up to`);
      expect(item.reason).toMatch(/needs up to \$[\d.]+ at the high end, but \$[\d.]+ is left/);
      expect(item.cost_usd.high).toBeGreaterThan(result.available_usd - result.planned_cost_usd.high);
      for (const option of item.cheaper_options) expect(option.cost_usd.high).toBeLessThanOrEqual(result.available_usd + 1e-9);
    }
    if (budget === 25) {
      const medical = result.not_fitting.find((item) => item.label.startsWith('medical cascade'));
      expect(medical, text).toBeDefined();
      const changes = medical!.cheaper_options.map((option) => option.change);
      expect(changes.some((change) => change.startsWith('stage_a_only: true'))).toBe(true);
      expect(changes.some((change) => /^samples: [\d,]+ instead of 40,000/.test(change))).toBe(true);
      const offPeak = medical!.cheaper_options.find((option) => option.change.startsWith('run it off-peak'));
      if (offPeak) expect(offPeak.arguments.max_usd).toBeGreaterThan(0);
      const fewer = medical!.cheaper_options.find((option) => option.change.startsWith('samples:'))!;
      expect(fewer.arguments.samples as number).toBeLessThan(40_000);
      expect(text).toContain('Cheaper ways that fit:');
    }
    if (budget === 200) expect(result.not_fitting).toEqual([]);
  });

  it('offers fewer pairs per chunk for a document that does not fit', async () => {
    const { plan: result } = await plan({ budget_usd: 0.4, goals: { documents: [{ path: 'legal_guide.txt', pairs_per_chunk: 20 }] } });
    expect(result.runs).toHaveLength(0);
    const [item] = result.not_fitting;
    expect(item?.label).toBe('legal_guide.txt');
    const fewer = item!.cheaper_options.find((option) => option.change.startsWith('pairs_per_chunk'));
    expect(fewer, JSON.stringify(item)).toBeDefined();
    expect(fewer!.arguments.pairs_per_chunk as number).toBeLessThan(20);
    expect(fewer!.cost_usd.high).toBeLessThanOrEqual(0.4 * 0.8 + 1e-9);
  });

  it('reports a goal it cannot estimate and still plans the rest', async () => {
    const { plan: result, text } = await plan({ budget_usd: 50, goals: { documents: [{ path: 'no_such_file.txt' }, { path: 'technical_manual.txt' }] } });
    expect(result.runs.map((run) => run.label)).toEqual(['technical_manual.txt']);
    expect(result.skipped_goals).toHaveLength(1);
    expect(result.skipped_goals[0]!.reason).toContain('no_such_file.txt');
    expect(text).toContain('Could not plan document no_such_file.txt');
  });

  it('refuses an ensemble goal with both a domain and a prompts file', async () => {
    const result = await client.callTool({ name: 'plan_budget', arguments: { goals: { ensembles: [{ samples: 10, domain: 'law', prompts_file: 'p.txt' }] } } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('not both');
  });
});

describe('plan_budget in batch mode', () => {
  it('shows live and batch cost side by side, and plans a batch run at batch prices with mode in its arguments', async () => {
    const { plan: live, text } = await plan({ budget_usd: 100, goals: { cascades: [{ domain: 'medical', samples: 10_000 }] } });
    const [liveRun] = live.runs;
    expect(liveRun!.mode).toBe('live');
    expect(liveRun!.cost_usd).toEqual(liveRun!.cost_live_usd);
    // OpenAI and Anthropic at half price, DeepSeek at its off-peak rate: cheaper, but not free.
    expect(liveRun!.cost_batch_usd.expected).toBeLessThan(liveRun!.cost_live_usd.expected * 0.9);
    expect(liveRun!.cost_batch_usd.expected).toBeGreaterThan(liveRun!.cost_live_usd.expected * 0.3);
    expect(liveRun!.arguments.mode).toBeUndefined();
    expect(live.planned_batch_cost_usd.expected).toBeCloseTo(liveRun!.cost_batch_usd.expected, 10);
    expect(text).toContain(`in batch mode (ready within 24 h)`);
    expect(live.tips.some((tip) => tip.startsWith('In batch mode (mode: "batch", results within 24 h) the plan is expected to cost'))).toBe(true);

    const { plan: batch, text: batchText } = await plan({ budget_usd: 100, mode: 'batch', goals: { cascades: [{ domain: 'medical', samples: 10_000 }] } });
    const [batchRun] = batch.runs;
    expect(batchRun!.mode).toBe('batch');
    expect(batchRun!.arguments.mode).toBe('batch');
    expect(batchRun!.cost_usd).toEqual(liveRun!.cost_batch_usd);
    expect(batch.planned_cost_usd.high).toBeCloseTo(liveRun!.cost_batch_usd.high, 10);
    expect(batchText).toMatch(/1\. medical cascade of 10,000 samples with start_cascade: expected \$[\d.]+ \(\$[\d.]+-\$[\d.]+\) in batch mode \(ready within 24 h; live \$[\d.]+\)/);
    expect(batch.tips.some((tip) => tip.startsWith('In batch mode'))).toBe(false);
    // The start tool checks a batch run against the same range the plan gave it.
    const dry = await client.callTool({ name: batchRun!.tool, arguments: { ...batchRun!.arguments, dry_run: true } });
    expect(dry.isError, textOf(dry)).toBeFalsy();
    const estimate = (dry.structuredContent as { estimate: { cost_batch_usd: Range } }).estimate;
    expect(estimate.cost_batch_usd.high).toBeCloseTo(batchRun!.cost_usd.high, 9);
  });

  it("lets a goal's mode override the plan's", async () => {
    const { plan: result } = await plan({ budget_usd: 100, mode: 'batch', goals: { documents: [{ path: 'legal_guide.txt', mode: 'live' }], cascades: [{ domain: 'medical', samples: 1_000 }] } });
    expect(result.runs.map((run) => [run.kind, run.mode])).toEqual([['distill', 'live'], ['cascade', 'batch']]);
    expect(result.runs[0]!.arguments.mode).toBeUndefined();
    expect(result.runs[0]!.cost_usd).toEqual(result.runs[0]!.cost_live_usd);
  });

  it('plans auto mode at live prices, since auto may go live', async () => {
    const { plan: result } = await plan({ budget_usd: 100, goals: { cascades: [{ domain: 'medical', samples: 1_000, mode: 'auto' }] } });
    const [run] = result.runs;
    expect(run!.mode).toBe('auto');
    expect(run!.arguments.mode).toBe('auto');
    expect(run!.cost_usd).toEqual(run!.cost_live_usd);
  });

  it('offers batch mode first as the cheaper way for a run that fits only at batch prices', async () => {
    const { plan: probe } = await plan({ budget_usd: 1000, month: 'next', goals: { cascades: [{ domain: 'medical', samples: 10_000 }] } });
    const run = probe.runs[0]!;
    // A budget whose money after the reserve lies between the batch and the live high end.
    const budget = ((run.cost_batch_usd.high + run.cost_live_usd.high) / 2) / 0.8;
    const { plan: result, text } = await plan({ budget_usd: budget, month: 'next', goals: { cascades: [{ domain: 'medical', samples: 10_000 }] } });
    expect(result.runs).toHaveLength(0);
    const [option] = result.not_fitting[0]!.cheaper_options;
    expect(option!.change).toMatch(/^mode: "batch"/);
    expect(option!.arguments).toMatchObject({ domain: 'medical', samples: 10_000, mode: 'batch' });
    expect(option!.cost_usd.high).toBeCloseTo(run.cost_batch_usd.high, 9);
    expect(option!.cost_usd.high).toBeLessThanOrEqual(result.available_usd);
    expect(text).toContain('Cheaper ways that fit: mode: "batch"');
  });

  it('refuses a mode it does not know, by name', async () => {
    const result = await client.callTool({ name: 'plan_budget', arguments: { mode: 'overnight' } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/mode/);
    expect(textOf(result)).toMatch(/live|batch|auto/);
  });

  it('plans in batch mode from the command line too', async () => {
    const { stdout } = await promisify(execFile)(cliCommand[0], [...cliCommand.slice(1), 'plan', '--budget', '100', '--batch'], { cwd: world.dir, env: { ...process.env, ...world.env } });
    const { text } = await plan({ budget_usd: 100, mode: 'batch' });
    expect(stdout.trim()).toBe(text.trim());
    expect(stdout).toContain('in batch mode (ready within 24 h; live $');
  });
});
