/**
 * A cascade's plan and calibrated estimate for its target, shared by start_cascade and plan_budget:
 * with target "approved" the raw pairs planned are the approved ones asked for divided by the
 * approval rate measured in past cascades with the same models, or an assumed rate that the
 * estimate's basis names.
 */
import type { Services } from '../services.js';
import type { DomainTemplate } from '../pipelines/cascade/domains.js';
import { assumedApprovalRate, estimateCascade } from '../pipelines/cascade/estimate.js';
import { coveragePlan, defaultPairsPerCall, type CoveragePlan } from '../pipelines/cascade/plan.js';
import type { CascadeTarget } from '../pipelines/cascade/target.js';
import { percent } from '../util/format.js';
import { calibrateCascade, maxRunsUsed, type CalibratedCascadeEstimate } from './calibration.js';
import { modelSignature, type PastRun } from './history.js';

export interface ApprovalRate {
  /** Share of raw pairs that end in train or golden. */
  rate: number;
  pastRuns: number;
  basis: string;
}

export interface CascadeSizingOptions {
  samples: number;
  target: CascadeTarget;
  stageAOnly: boolean;
  goldenFraction: number;
  expand: boolean;
  pairsPerCall?: number;
}

export interface CascadeSizing {
  plan: CoveragePlan;
  estimate: CalibratedCascadeEstimate;
  /** Set for target "approved": the rate the plan was sized with. */
  approval: ApprovalRate | null;
}

export function sizeCascade(services: Services, history: PastRun[], template: DomainTemplate, options: CascadeSizingOptions): CascadeSizing {
  const approval = options.target === 'approved' && !options.stageAOnly ? approvalRate(services, history) : null;
  const rawPairs = approval ? Math.ceil(options.samples / approval.rate) : options.samples;
  const plan = coveragePlan(template, rawPairs, options.pairsPerCall ?? defaultPairsPerCall);
  const tokens = estimateCascade(services, template, plan, { stageAOnly: options.stageAOnly, goldenFraction: options.goldenFraction, expand: options.expand, ...(approval ? { approvalRate: approval.rate } : {}) });
  const estimate = calibrateCascade(history, tokens, options.stageAOnly);
  if (approval) estimate.basis += `; ${rawPairs.toLocaleString('en-US')} raw pairs planned for ${options.samples.toLocaleString('en-US')} approved at ${approval.basis}`;
  return { plan, estimate, approval };
}

/** Pooled over the recent full cascades with today's models, as the cost calibration is. */
export function approvalRate(services: Services, history: PastRun[]): ApprovalRate {
  const name = (role: 'generate' | 'format' | 'validate') => {
    const target = services.llm.resolve(role);
    return [`${target.provider.name}/${target.model}`];
  };
  const models = modelSignature({ generate: name('generate'), format: name('format'), validate: name('validate') });
  const runs = history.filter((run) => run.kind === 'cascade' && run.variant === 'full' && run.models === models && run.funnel).slice(0, maxRunsUsed);
  const generated = runs.reduce((sum, run) => sum + run.funnel!.generated, 0);
  const delivered = runs.reduce((sum, run) => sum + run.funnel!.delivered, 0);
  if (runs.length === 0 || delivered === 0) {
    return { rate: assumedApprovalRate, pastRuns: 0, basis: `an approval rate of ${percent(assumedApprovalRate)} assumed (no completed cascade with these models has measured one yet)` };
  }
  const rate = delivered / generated;
  return { rate, pastRuns: runs.length, basis: `the approval rate of ${percent(rate)} measured over ${runs.length} past cascade${runs.length === 1 ? '' : 's'} with these models` };
}
