/**
 * Estimates calibrated with what past runs really cost: the token estimate is blended with
 * the measured cost per approved pair of completed runs of the same pipeline and models, trusting the
 * measurement more as runs accumulate. Used by plan_budget and by the start tools' dry runs.
 */
import type { RunKind } from '../store/catalog.js';
import type { Services } from '../services.js';
import type { CascadeEstimate } from '../pipelines/cascade/estimate.js';
import type { DistillEstimate } from '../pipelines/distill/estimate.js';
import type { EnsembleEstimate } from '../pipelines/ensemble/estimate.js';
import { percent, usd } from '../util/format.js';
import { loadHistory, modelSignature, type PastRun } from './history.js';
import type { CostRange } from '../pipelines/cost-range.js';

export type { CostRange };

export interface CalibrationTarget {
  kind: RunKind;
  variant: PastRun['variant'];
  models: string;
  /** Expected approved pairs (raw pairs for a stage-A-only cascade). */
  units: number;
  costUsd: CostRange;
}

export interface Calibration {
  pastRuns: number;
  runIds: string[];
  measuredUsdPerUnit: number;
  unit: string;
  /** n / (n + 2): one run counts a third, many runs approach all. */
  weight: number;
  tokenCostUsd: CostRange;
  /** calibrated expected / token expected; low and high are scaled by it too. */
  ratio: number;
}

export interface Calibrated {
  costUsd: CostRange;
  ratio: number;
  calibration: Calibration | null;
  /** "token counts × price table" or "calibrated with N past distill runs: $X per approved pair measured ..." */
  basis: string;
}

/** Recent runs are enough: more would only let old prices outvote new ones. */
export const maxRunsUsed = 20;

export const tokenBasis = 'token counts × price table';

export function unitName(kind: RunKind, variant: PastRun['variant']): string {
  if (variant === 'stage_a') return 'raw pair';
  return kind === 'ensemble' ? 'approved sample' : 'approved pair';
}

export function calibrate(history: PastRun[], target: CalibrationTarget): Calibrated {
  const matching = history.filter((run) => run.kind === target.kind && run.variant === target.variant && run.models === target.models).slice(0, maxRunsUsed);
  const units = matching.reduce((sum, run) => sum + run.units, 0);
  if (matching.length === 0 || units <= 0 || target.units <= 0 || target.costUsd.expected <= 0) {
    return { costUsd: { ...target.costUsd }, ratio: 1, calibration: null, basis: tokenBasis };
  }
  // Pooled, not averaged: a big run says more about the cost per pair than a tiny one.
  const measuredUsdPerUnit = matching.reduce((sum, run) => sum + run.costUsd, 0) / units;
  const n = matching.length;
  const weight = n / (n + 2);
  const expected = (1 - weight) * target.costUsd.expected + weight * measuredUsdPerUnit * target.units;
  const ratio = expected / target.costUsd.expected;
  const unit = unitName(target.kind, target.variant);
  const calibration: Calibration = { pastRuns: n, runIds: matching.map((run) => run.runId), measuredUsdPerUnit, unit, weight, tokenCostUsd: { ...target.costUsd }, ratio };
  return { costUsd: scale(target.costUsd, ratio), ratio, calibration, basis: describeBasis(target.kind, calibration) };
}

/** The one-line basis of an estimate: the price table alone, or how past runs moved it. */
export function describeBasis(kind: RunKind, calibration: Calibration | null): string {
  if (!calibration) return tokenBasis;
  const n = calibration.pastRuns;
  return (
    `calibrated with ${n} past ${kind} run${n === 1 ? '' : 's'}: ${usd(calibration.measuredUsdPerUnit)} per ${calibration.unit} measured, ` +
    `weighted ${percent(calibration.weight)} against the token estimate of ${usd(calibration.tokenCostUsd.expected)} (${tokenBasis})`
  );
}

export function scale(range: CostRange, ratio: number): CostRange {
  return { low: range.low * ratio, expected: range.expected * ratio, high: range.high * ratio };
}

export type CalibratedDistillEstimate = DistillEstimate & { calibration: Calibration | null };
export type CalibratedEnsembleEstimate = EnsembleEstimate & { calibration: Calibration | null };
export type CalibratedCascadeEstimate = CascadeEstimate & { calibration: Calibration | null };

/** A distill_file estimate with the calibrated cost; the by-stage figures are scaled alike so they still add up. */
export function calibrateDistill(history: PastRun[], estimate: DistillEstimate): CalibratedDistillEstimate {
  const result = calibrate(history, {
    kind: 'distill',
    variant: 'full',
    models: modelSignature({ generate: [estimate.models.generate], validate: [estimate.models.validate] }),
    units: estimate.expectedApprovedPairs,
    costUsd: estimate.costUsd,
  });
  if (!result.calibration) return { ...estimate, calibration: null };
  return {
    ...estimate,
    costUsd: result.costUsd,
    costBatchUsd: scale(estimate.costBatchUsd, result.ratio),
    costByStageUsd: { generate: scale(estimate.costByStageUsd.generate, result.ratio), validate: scale(estimate.costByStageUsd.validate, result.ratio) },
    basis: `${result.basis}; the token estimate came from ${estimate.basis}`,
    calibration: result.calibration,
  };
}

export function calibrateEnsemble(history: PastRun[], estimate: EnsembleEstimate): CalibratedEnsembleEstimate {
  const result = calibrate(history, {
    kind: 'ensemble',
    variant: 'full',
    models: modelSignature({ answer: estimate.teachers, judge: [estimate.judge] }),
    units: estimate.expectedApprovedSamples,
    costUsd: estimate.costUsd,
  });
  if (!result.calibration) return { ...estimate, calibration: null };
  const stages = estimate.costByStageUsd;
  return {
    ...estimate,
    costUsd: result.costUsd,
    costBatchUsd: scale(estimate.costBatchUsd, result.ratio),
    costByStageUsd: { prompts: scale(stages.prompts, result.ratio), answer: scale(stages.answer, result.ratio), judge: scale(stages.judge, result.ratio) },
    costPerSampleUsd: scale(estimate.costPerSampleUsd, result.ratio),
    basis: `${result.basis}; the token estimate came from ${estimate.basis}`,
    calibration: result.calibration,
  };
}

export function calibrateCascade(history: PastRun[], estimate: CascadeEstimate, stageAOnly: boolean): CalibratedCascadeEstimate {
  const { models } = estimate;
  const result = calibrate(history, {
    kind: 'cascade',
    variant: stageAOnly ? 'stage_a' : 'full',
    models: modelSignature(stageAOnly ? { generate: [models.generate] } : { generate: [models.generate], format: [models.format], validate: [models.validate] }),
    units: stageAOnly ? estimate.expected.rawPairs : estimate.expected.approved,
    costUsd: estimate.costUsd,
  });
  if (!result.calibration) return { ...estimate, calibration: null };
  const byStage = Object.fromEntries(Object.entries(estimate.costByStageUsd).map(([stage, range]) => [stage, scale(range, result.ratio)])) as CascadeEstimate['costByStageUsd'];
  return { ...estimate, costUsd: result.costUsd, costBatchUsd: scale(estimate.costBatchUsd, result.ratio), costByStageUsd: byStage, basis: `${result.basis}; the token estimate came from ${estimate.basis}`, calibration: result.calibration };
}

/** For the start tools: history read once per call (completed runs are cached). */
export async function calibratedDistillEstimate(services: Services, estimate: DistillEstimate): Promise<CalibratedDistillEstimate> {
  return calibrateDistill(await loadHistory(services), estimate);
}

export async function calibratedCascadeEstimate(services: Services, estimate: CascadeEstimate, stageAOnly: boolean): Promise<CalibratedCascadeEstimate> {
  return calibrateCascade(await loadHistory(services), estimate, stageAOnly);
}

export async function calibratedEnsembleEstimate(services: Services, estimate: EnsembleEstimate): Promise<CalibratedEnsembleEstimate> {
  return calibrateEnsemble(await loadHistory(services), estimate);
}
