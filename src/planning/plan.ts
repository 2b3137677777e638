/**
 * plan_budget's engine: from a budget and goals (or the seed's tiers), which runs to start in what
 * order, what each is expected to cost and yield, what does not fit and the cheapest ways to fit
 * more. Fit is decided on the HIGH end of each estimate, so following the plan never spends more
 * than the budget minus its reserve (and, this month, minus what is already spent).
 */
import { DistilleryError } from '../errors.js';
import type { Services } from '../services.js';
import { monthKey, monthRange } from '../store/month.js';
import { usd } from '../util/format.js';
import type { CostRange } from './calibration.js';
import { cascadeRun, documentRun, ensembleRun, inMode, planContext, type PlanContext, type PlannedRun } from './candidates.js';
import { cheaperOptions, type CheaperOption } from './cheaper.js';
import { loadHistory } from './history.js';
import { peakHoursText } from './off-peak.js';
import { tierPlan, type Tier } from './tiers.js';
import type { LeftOut, PlanDraft } from './draft.js';
import type { CascadeTarget } from '../pipelines/cascade/target.js';
import type { RunMode } from '../pipelines/batch-types.js';

/** A goal's `mode` overrides the plan's. */
export interface PlanGoals {
  documents?: { path: string; pairs_per_chunk?: number; mode?: RunMode }[];
  cascades?: { domain: string; samples: number; stage_a_only?: boolean; target?: CascadeTarget; mode?: RunMode }[];
  ensembles?: { samples: number; domain?: string; prompts_file?: string; mode?: RunMode }[];
}

export interface PlanRequest {
  budgetUsd?: number;
  /** The current month counts what is already spent; the next one starts from nothing. */
  month?: 'current' | 'next';
  /** The mode every run is planned in unless its goal says otherwise (default live). */
  mode?: RunMode;
  goals?: PlanGoals;
}

export interface BudgetPlan {
  month: string;
  current: boolean;
  budgetUsd: number;
  reserveFraction: number;
  reserveUsd: number;
  spentUsd: number;
  availableUsd: number;
  tier: Tier | null;
  runs: PlannedRun[];
  /** Each run in its own mode. */
  plannedUsd: CostRange;
  /** Every planned run in batch mode: what the same plan costs when it can wait up to 24 h. */
  plannedBatchUsd: CostRange;
  plannedOffPeakHighUsd: number;
  leftUsd: number;
  leftOut: LeftOut[];
  skipped: { goal: string; reason: string }[];
  tips: string[];
  pastRuns: number;
}

const epsilon = 1e-9;

export async function planBudget(services: Services, roots: string[], request: PlanRequest): Promise<BudgetPlan> {
  const { guard, config } = services;
  const status = guard.status();
  const current = request.month !== 'next';
  const budgetUsd = request.budgetUsd ?? guard.monthlyUsd;
  const reserveFraction = status.budgetUsd > 0 ? status.reserveUsd / status.budgetUsd : config.budget.reserveFraction;
  const reserveUsd = budgetUsd * reserveFraction;
  const spentUsd = current ? status.spentUsd + status.reservedUsd : 0;
  const month = current ? status.month : monthKey(monthRange(status.month, config.budget.monthStartDay).end, config.budget.monthStartDay);
  const availableUsd = Math.max(0, budgetUsd - reserveUsd - spentUsd);
  const history = await loadHistory(services);
  const draft: PlanDraft = { context: planContext(services, roots, history, request.mode), runs: [], leftOut: [], skipped: [], leftUsd: availableUsd };

  const goals = request.goals;
  const hasGoals = !!goals && (goals.documents?.length ?? 0) + (goals.cascades?.length ?? 0) + (goals.ensembles?.length ?? 0) > 0;
  const tier = hasGoals ? null : await tierPlan(draft, budgetUsd);
  if (hasGoals) await planGoals(draft, goals!);

  const total = (range: (run: PlannedRun) => CostRange) => {
    const sum = (key: keyof CostRange) => draft.runs.reduce((money, run) => money + range(run)[key], 0);
    return { low: sum('low'), expected: sum('expected'), high: sum('high') };
  };
  const plannedUsd = total((run) => run.costUsd);
  const plannedOffPeakHighUsd = draft.runs.reduce((total, run) => total + run.offPeakHighUsd, 0);
  const plan: BudgetPlan = {
    month,
    current,
    budgetUsd,
    reserveFraction,
    reserveUsd,
    spentUsd,
    availableUsd,
    tier,
    runs: draft.runs,
    plannedUsd,
    plannedBatchUsd: total((run) => run.batchCostUsd),
    plannedOffPeakHighUsd,
    leftUsd: Math.max(0, availableUsd - plannedUsd.high),
    leftOut: draft.leftOut,
    skipped: draft.skipped,
    tips: [],
    pastRuns: history.length,
  };
  plan.tips = tips(draft.context, plan);
  return plan;
}

/** Documents first (cheapest per approved pair), then cascades, then ensembles; each in the order given. */
async function planGoals(draft: PlanDraft, goals: PlanGoals): Promise<void> {
  for (const goal of goals.documents ?? []) {
    const context = inMode(draft.context, goal.mode);
    await consider(draft, `document ${goal.path}`, () => documentRun(context, goal.path, goal.pairs_per_chunk), (run, money) =>
      cheaperOptions(context, { kind: 'distill', path: goal.path, pairsPerChunk: goal.pairs_per_chunk }, run, money));
  }
  for (const goal of goals.cascades ?? []) {
    const context = inMode(draft.context, goal.mode);
    const stageAOnly = goal.stage_a_only === true;
    await consider(draft, `cascade ${goal.domain} x${goal.samples}`, () => cascadeRun(context, goal.domain, goal.samples, stageAOnly, goal.target), (run, money) =>
      cheaperOptions(context, { kind: 'cascade', domain: goal.domain, samples: goal.samples, stageAOnly, target: goal.target }, run, money));
  }
  for (const goal of goals.ensembles ?? []) {
    const context = inMode(draft.context, goal.mode);
    const source = goal.prompts_file !== undefined ? { promptsFile: goal.prompts_file } : { domain: goal.domain ?? 'general' };
    await consider(draft, `ensemble of ${goal.samples}`, () => ensembleRun(context, goal.samples, source), (run, money) =>
      cheaperOptions(context, { kind: 'ensemble', samples: goal.samples, source }, run, money));
  }
}

/** Adds the run when its high end fits what is left; otherwise records it with the cheaper ways that fit. */
async function consider(
  draft: PlanDraft,
  goal: string,
  make: () => PlannedRun | Promise<PlannedRun>,
  cheaper: (run: PlannedRun, moneyUsd: number) => Promise<CheaperOption[]>,
): Promise<PlannedRun | undefined> {
  let run: PlannedRun;
  try {
    run = await make();
  } catch (error) {
    if (!(error instanceof DistilleryError)) throw error;
    draft.skipped.push({ goal, reason: error.message });
    return undefined;
  }
  if (run.costUsd.high <= draft.leftUsd + epsilon) {
    draft.runs.push(run);
    draft.leftUsd = Math.max(0, draft.leftUsd - run.costUsd.high);
    return run;
  }
  draft.leftOut.push({ run, reason: `needs up to ${usd(run.costUsd.high)} at the high end, but ${usd(draft.leftUsd)} is left`, options: await cheaper(run, draft.leftUsd) });
  return undefined;
}

function tips(context: PlanContext, plan: BudgetPlan): string[] {
  const result: string[] = [];
  const saving = plan.plannedUsd.high - plan.plannedOffPeakHighUsd;
  const hours = peakHoursText(context.services);
  const batchSaving = plan.plannedUsd.expected - plan.plannedBatchUsd.expected;
  if (batchSaving >= 0.005 && plan.runs.some((run) => run.mode !== 'batch')) {
    result.push(`In batch mode (mode: "batch", results within 24 h) the plan is expected to cost ${usd(plan.plannedBatchUsd.expected)} instead of ${usd(plan.plannedUsd.expected)}, at most ${usd(plan.plannedBatchUsd.high)}.`);
  }
  if (saving >= 0.005 && hours) {
    result.push(`Run the DeepSeek stages off-peak (${hours}): the plan's high end drops by up to ${usd(saving)}, to ${usd(plan.plannedOffPeakHighUsd)}.`);
  }
  // Rounding sizes down leaves a little over; only a real remainder is worth a line.
  if (plan.leftUsd >= Math.max(0.5, plan.availableUsd * 0.05) && plan.runs.length > 0) {
    const probe = cascadeRun(context, 'general', 1000, false);
    const more = Math.floor((plan.leftUsd / probe.costUsd.high) * 1000);
    if (more >= 100) result.push(`${usd(plan.leftUsd)} is left unplanned: enough for about ${more.toLocaleString('en-US')} more general cascade samples.`);
  }
  if (plan.runs.length > 0) result.push('Start the runs in this order with the tools named; a dry run of each first shows its exact estimate.');
  return result;
}
