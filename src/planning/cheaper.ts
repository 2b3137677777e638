/**
 * The cheapest ways to fit a run that does not: the same run in batch mode, the same run off-peak, a cascade's stage A only,
 * fewer pairs per chunk for a document, fewer samples. Only options whose high end fits are offered.
 */
import { usd } from '../util/format.js';
import { cascadeRun, documentRun, ensembleRun, largestThatFits, type EnsembleSource, type PlanContext, type PlannedRun } from './candidates.js';
import { peakHoursText } from './off-peak.js';
import type { CascadeTarget } from '../pipelines/cascade/target.js';

export type GoalSpec =
  | { kind: 'distill'; path: string; pairsPerChunk?: number }
  | { kind: 'cascade'; domain: string; samples: number; stageAOnly: boolean; target?: CascadeTarget }
  | { kind: 'ensemble'; samples: number; source: EnsembleSource };

export interface CheaperOption {
  change: string;
  run: PlannedRun;
}

const epsilon = 1e-9;
/** The most pairs per chunk the default picks for a large chunk. */
const largestDefaultPairs = 8;

export async function cheaperOptions(context: PlanContext, goal: GoalSpec, run: PlannedRun, moneyUsd: number): Promise<CheaperOption[]> {
  const fits = (candidate: PlannedRun) => candidate.costUsd.high <= moneyUsd + epsilon;
  const options: CheaperOption[] = [];
  const batch = batchOption(run, moneyUsd);
  if (batch) options.push(batch);
  const offPeak = offPeakOption(context, run, moneyUsd);
  if (offPeak) options.push(offPeak);
  if (goal.kind === 'distill') {
    for (let pairs = Math.min(largestDefaultPairs, (goal.pairsPerChunk ?? largestDefaultPairs + 1) - 1); pairs >= 1; pairs--) {
      const fewer = await documentRun(context, goal.path, pairs);
      if (fewer.rawPairs >= run.rawPairs) continue;
      if (fits(fewer)) {
        options.push({ change: `pairs_per_chunk: ${pairs} (about ${fewer.rawPairs} pairs instead of ${run.rawPairs})`, run: fewer });
        break;
      }
    }
  } else if (goal.kind === 'cascade') {
    const { domain, samples, stageAOnly, target } = goal;
    let stageAFits = false;
    if (!stageAOnly) {
      const stageA = cascadeRun(context, domain, samples, true);
      stageAFits = fits(stageA);
      if (stageAFits) options.push({ change: 'stage_a_only: true (raw pairs only: no formatting, validation or golden set)', run: stageA });
    }
    const fewer = await largestThatFits((n) => cascadeRun(context, domain, n, stageAOnly, target), { reference: Math.min(samples - 1, 1000), min: 10, max: samples - 1, moneyUsd });
    if (fewer) options.push({ change: `samples: ${fewer.size!.toLocaleString('en-US')} instead of ${samples.toLocaleString('en-US')}`, run: fewer });
    if (!stageAOnly && !stageAFits) {
      const fewerRaw = await largestThatFits((n) => cascadeRun(context, domain, n, true), { reference: Math.min(samples - 1, 1000), min: 10, max: samples - 1, moneyUsd });
      if (fewerRaw) options.push({ change: `stage_a_only: true and samples: ${fewerRaw.size!.toLocaleString('en-US')}`, run: fewerRaw });
    }
  } else {
    const fewer = await largestThatFits((n) => ensembleRun(context, n, goal.source), { reference: Math.min(goal.samples - 1, 100), min: 1, max: Math.min(goal.samples, run.size ?? goal.samples) - 1, moneyUsd });
    if (fewer) options.push({ change: `samples: ${fewer.size!.toLocaleString('en-US')} instead of ${(run.size ?? goal.samples).toLocaleString('en-US')}`, run: fewer });
  }
  return options;
}

/** The same run in batch mode, when that is what makes it fit: nothing is lost but time. */
function batchOption(run: PlannedRun, moneyUsd: number): CheaperOption | undefined {
  if (run.mode === 'batch' || run.batchCostUsd.high > moneyUsd + epsilon) return undefined;
  return {
    change: 'mode: "batch" (batch rates at OpenAI and Anthropic, DeepSeek in its off-peak hours; results within 24 h)',
    run: { ...run, mode: 'batch', arguments: { ...run.arguments, mode: 'batch' }, costUsd: run.batchCostUsd, offPeakHighUsd: run.batchCostUsd.high },
  };
}

/**
 * The same run in off-peak hours. A run that lasts into peak hours would cost more, so the option
 * carries max_usd: the run pauses rather than go past the money the plan gives it.
 */
function offPeakOption(context: PlanContext, run: PlannedRun, moneyUsd: number): CheaperOption | undefined {
  const hours = peakHoursText(context.services);
  const cap = Math.floor(moneyUsd * 100) / 100;
  if (!hours || cap < 0.01 || run.offPeakHighUsd >= run.costUsd.high - 0.005 || run.offPeakHighUsd > cap) return undefined;
  const share = run.offPeakHighUsd / run.costUsd.high;
  return {
    change: `run it off-peak (${hours}) with max_usd: ${cap}, so it pauses rather than overspend if it runs into peak hours`,
    run: { ...run, arguments: { ...run.arguments, max_usd: cap }, costUsd: { low: run.costUsd.low, expected: Math.max(run.costUsd.low, run.costUsd.expected * share), high: run.offPeakHighUsd } },
  };
}

export function describeOption(option: CheaperOption): string {
  const outputs = option.run.approvedPairs > 0 ? `about ${option.run.approvedPairs.toLocaleString('en-US')} approved` : `about ${option.run.rawPairs.toLocaleString('en-US')} raw pairs`;
  return `${option.change}: up to ${usd(option.run.costUsd.high)}, ${outputs}`;
}
