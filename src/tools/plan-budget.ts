/** plan_budget: a concrete month plan from a budget and goals, estimated locally; it calls no model. */
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { PlannedRun } from '../planning/candidates.js';
import { describeOption } from '../planning/cheaper.js';
import { planBudget, type BudgetPlan } from '../planning/plan.js';
import { tokenBasis } from '../planning/calibration.js';
import { usd } from '../util/format.js';
import { defineTool } from './define.js';
import { costRangeSchema as range } from '../pipelines/cost-range.js';
import { cascadeTargets } from '../pipelines/cascade/target.js';
import { runModes } from '../pipelines/batch-types.js';

const planMode = z.enum(runModes).optional();

const runShape = {
  kind: z.enum(['distill', 'cascade', 'ensemble']),
  label: z.string(),
  tool: z.enum(['distill_file', 'start_cascade', 'start_ensemble']),
  arguments: z.record(z.string(), z.unknown()),
  mode: z.enum(runModes),
  cost_usd: range.describe('In the run\'s mode, as its start tool checks it: the batch range in batch mode, the live one otherwise.'),
  cost_live_usd: range,
  cost_batch_usd: range.describe('The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek.'),
  expected_approved: z.number(),
  expected_raw_pairs: z.number(),
};

export const planBudgetTool = defineTool({
  name: 'plan_budget',
  title: 'Plan the budget',
  description:
    'Plans a month of dataset work before anything is spent: which runs to start, in what order, the expected cost range (low / expected / high) ' +
    'and approved pairs of each, the reserve kept back, what does not fit and the cheapest ways to fit more (stage_a_only for a cascade, fewer ' +
    'pairs_per_chunk, fewer samples, DeepSeek off-peak hours). Fit is judged on the high end, so following the plan stays within the budget minus ' +
    'the reserve (and, for the current month, minus what is already spent). Without goals it follows the budget tiers ($25 / $50 / $100 / $200+) ' +
    'with the documents in the allowed folders and a general cascade sized to the money left. Estimates use token counts times the price table, ' +
    'calibrated with the measured cost of past runs when there are any. Free: it calls no model and needs no API key. Use it for "what can I do with $50?".',
  input: z.object({
    budget_usd: z.number().min(0).max(100_000).optional().describe('Money to plan with, in US dollars (default: the monthly budget). The reserve fraction is kept back from it.'),
    month: z.enum(['current', 'next']).optional().describe('current (default) subtracts what this month has already spent; next plans a fresh month.'),
    mode: planMode.describe('The mode runs are planned in (default live), as start_cascade, distill_file and start_ensemble take it: batch plans at batch prices (results within 24 h); auto is planned at live prices, since it may go live. A goal\'s own mode overrides it.'),
    goals: z
      .object({
        documents: z.array(z.object({ path: z.string().min(1).max(4096).describe('A document in the allowed folders, e.g. legal_guide.txt.'), pairs_per_chunk: z.int().min(1).max(20).optional(), mode: planMode })).max(50).optional(),
        cascades: z.array(z.object({ domain: z.string().min(2).max(2000).describe('A template name (medical, legal, general, ...) or free text.'), samples: z.int().min(1).max(200_000), stage_a_only: z.boolean().optional(), target: z.enum(cascadeTargets).optional().describe('As start_cascade: "approved" counts samples as approved pairs, planned at the measured approval rate.'), mode: planMode })).max(20).optional(),
        ensembles: z.array(z.object({ samples: z.int().min(1).max(100_000), domain: z.string().min(2).max(300).optional(), prompts_file: z.string().min(1).max(4096).optional(), mode: planMode })).max(20).optional(),
      })
      .optional()
      .describe('What the user wants this month. Omit to get the tier plan for the budget.'),
  }),
  output: z.object({
    month: z.string(),
    current_month: z.boolean(),
    budget_usd: z.number(),
    reserve_fraction: z.number(),
    reserve_usd: z.number(),
    spent_usd: z.number(),
    available_usd: z.number(),
    tier: z.object({ name: z.string(), guide: z.string() }).nullable(),
    runs: z.array(z.object({ order: z.number(), ...runShape, off_peak_high_usd: z.number(), basis: z.string() })),
    planned_cost_usd: range,
    planned_batch_cost_usd: range.describe('Every planned run in batch mode.'),
    planned_off_peak_high_usd: z.number(),
    left_usd: z.number(),
    not_fitting: z.array(z.object({ ...runShape, reason: z.string(), cheaper_options: z.array(z.object({ change: z.string(), ...runShape })) })),
    skipped_goals: z.array(z.object({ goal: z.string(), reason: z.string() })),
    tips: z.array(z.string()),
    basis: z.string(),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handle(input, { app, roots }) {
    for (const goal of input.goals?.ensembles ?? []) {
      if (goal.domain !== undefined && goal.prompts_file !== undefined) {
        throw new InputError(`An ensemble goal takes a domain or a prompts_file, not both (got domain "${goal.domain}" and prompts_file "${goal.prompts_file}").`);
      }
    }
    const plan = await planBudget(app.services, await roots(), { budgetUsd: input.budget_usd, month: input.month, mode: input.mode, goals: input.goals });
    const shape = (run: PlannedRun) => ({
      kind: run.kind,
      label: run.label,
      tool: run.tool,
      arguments: run.arguments,
      mode: run.mode,
      cost_usd: run.costUsd,
      cost_live_usd: run.liveCostUsd,
      cost_batch_usd: run.batchCostUsd,
      expected_approved: run.approvedPairs,
      expected_raw_pairs: run.rawPairs,
    });
    return {
      text: describePlan(plan),
      structured: {
        month: plan.month,
        current_month: plan.current,
        budget_usd: plan.budgetUsd,
        reserve_fraction: plan.reserveFraction,
        reserve_usd: plan.reserveUsd,
        spent_usd: plan.spentUsd,
        available_usd: plan.availableUsd,
        tier: plan.tier ? { name: plan.tier.name, guide: plan.tier.guide } : null,
        runs: plan.runs.map((run, index) => ({ order: index + 1, ...shape(run), off_peak_high_usd: run.offPeakHighUsd, basis: run.basis })),
        planned_cost_usd: plan.plannedUsd,
        planned_batch_cost_usd: plan.plannedBatchUsd,
        planned_off_peak_high_usd: plan.plannedOffPeakHighUsd,
        left_usd: plan.leftUsd,
        not_fitting: plan.leftOut.map((item) => ({ ...shape(item.run), reason: item.reason, cheaper_options: item.options.map((option) => ({ change: option.change, ...shape(option.run) })) })),
        skipped_goals: plan.skipped,
        tips: plan.tips,
        basis: overallBasis(plan),
      },
    };
  },
});

function overallBasis(plan: BudgetPlan): string {
  const calibrated = plan.runs.concat(plan.leftOut.map((item) => item.run)).filter((run) => run.calibration).length;
  if (calibrated === 0) return `${tokenBasis}${plan.pastRuns === 0 ? ' (no completed runs yet to calibrate with)' : ' (no completed run used the same pipeline and models)'}`;
  return `${tokenBasis}, calibrated with the measured cost per approved pair of past runs of the same pipeline and models where there are any (see each run's basis)`;
}

function outputs(run: PlannedRun): string {
  if (run.approvedPairs > 0) return `about ${run.approvedPairs.toLocaleString('en-US')} approved ${run.kind === 'ensemble' ? 'samples' : 'pairs'}`;
  return `about ${run.rawPairs.toLocaleString('en-US')} raw pairs`;
}

/** "expected $8.10 ($6.90-$9.80) live, $4.60 in batch mode (ready within 24 h)", or the batch range first for a batch run. */
function costs(run: PlannedRun): string {
  const range = (cost: PlannedRun['costUsd']) => `expected ${usd(cost.expected)} (${usd(cost.low)}-${usd(cost.high)})`;
  if (run.mode === 'batch') return `${range(run.batchCostUsd)} in batch mode (ready within 24 h; live ${usd(run.liveCostUsd.expected)})`;
  return `${range(run.liveCostUsd)} ${run.mode === 'auto' ? 'live at most (auto mode)' : 'live'}, ${usd(run.batchCostUsd.expected)} in batch mode (ready within 24 h)`;
}

export function describePlan(plan: BudgetPlan): string {
  const when = plan.current ? plan.month : `next month (${plan.month})`;
  const tier = plan.tier ? `, tier ${plan.tier.name}: ${plan.tier.guide}` : '';
  const spent = plan.current && plan.spentUsd > 0 ? ` and ${usd(plan.spentUsd)} already spent` : '';
  const lines = [`Plan for ${when} with a ${usd(plan.budgetUsd)} budget${tier}. ${usd(plan.reserveUsd)} is kept in reserve${spent}, leaving ${usd(plan.availableUsd)} to plan with.`];
  if (plan.runs.length) {
    const cost = plan.plannedUsd;
    lines.push(`In this order (at most ${usd(cost.high)}, expected ${usd(cost.expected)}, ${usd(plan.leftUsd)} left):`);
    plan.runs.forEach((run, index) => {
      lines.push(`${index + 1}. ${run.label} with ${run.tool}: ${costs(run)}, ${outputs(run)}.`);
    });
  } else {
    lines.push('Nothing fits in what is left.');
  }
  if (plan.leftOut.length) {
    lines.push('Does not fit or is left out:');
    for (const item of plan.leftOut) {
      const options = item.options.length ? ` Cheaper ways that fit: ${item.options.map(describeOption).join('; ')}.` : '';
      lines.push(`- ${item.run.label}: ${item.reason}.${options}`);
    }
  }
  for (const skipped of plan.skipped) lines.push(`Could not plan ${skipped.goal}: ${skipped.reason}`);
  lines.push(`Estimates: ${overallBasis(plan)}.`);
  lines.push(...plan.tips);
  return lines.join('\n');
}
