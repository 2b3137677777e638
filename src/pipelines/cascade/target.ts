/**
 * What a cascade's `samples` counts, and when it has delivered them: raw pairs generated (the
 * default), or pairs approved into train and golden, for which the run plans fresh slots in top-up
 * waves sized by its own approval rate. Whatever stops short is said with the count and the reason.
 */
import type { CascadeParams } from './params.js';
import { reaskRounds, type Unanswered } from './stage-a.js';

export const cascadeTargets = ['generated', 'approved'] as const;
export type CascadeTarget = (typeof cascadeTargets)[number];

/** Waves of fresh slots after the first, for target "approved". */
export const maxTopUps = 5;
/** A top-up asks a tenth more than the shortfall at the run's own rate, so one wave is usually enough. */
const topUpMargin = 1.1;

export interface Shortfall {
  target: CascadeTarget;
  requested: number;
  delivered: number;
  short: number;
  reason: string;
}

/** Raw pairs the first wave plans: `samples`, or for "approved" enough at the rate fixed when the run started. */
export function firstWaveSamples(params: CascadeParams): number {
  return params.target === 'approved' ? Math.ceil(params.samples / (params.approval_rate ?? 1)) : params.samples;
}

export interface WaveState {
  waves: number;
  /** Raw pairs planned and generated so far, and pairs in train plus golden if the split were made now. */
  planned: number;
  generated: number;
  delivered: number;
}

/** Raw pairs for the next top-up wave, or nothing: the target is met, not "approved", or more would not help. */
export function nextWaveSamples(params: CascadeParams, state: WaveState): number {
  if (params.target !== 'approved' || state.delivered >= params.samples || state.waves > maxTopUps) return 0;
  if (state.delivered === 0 || state.generated === 0) return 0;
  return Math.ceil(((params.samples - state.delivered) / (state.delivered / state.generated)) * topUpMargin);
}

/** The shortfall of a run that ended, with its reason, or null when it delivered what was asked. */
export function shortfallAtEnd(params: CascadeParams, state: WaveState, unanswered: Unanswered): Shortfall | null {
  const target = params.target ?? 'generated';
  const delivered = target === 'approved' ? state.delivered : state.generated;
  if (delivered >= params.samples) return null;
  const asks = `${unanswered.slots.toLocaleString('en-US')} slot${unanswered.slots === 1 ? ' was' : 's were'} still unanswered after ${reaskRounds + 1} asks each (${Object.entries(unanswered.reasons).map(([reason, n]) => `${reason} ×${n}`).join(', ')})`;
  let reason = asks;
  if (target === 'approved') {
    const rate = state.generated ? state.delivered / state.generated : 0;
    reason =
      state.delivered === 0
        ? `no pair was approved of ${state.generated.toLocaleString('en-US')} generated, so more would not help: check min_score and the domain with review_samples`
        : `${maxTopUps} top-up waves planned ${state.planned.toLocaleString('en-US')} raw pairs in all and ${Math.round(rate * 100)}% of those generated were approved` + (unanswered.slots ? `; ${asks}` : '');
  }
  return { target, requested: params.samples, delivered, short: params.samples - delivered, reason };
}

/** How far a run that has not ended is from its target, and why it stands where it is. */
export function shortfallSoFar(params: CascadeParams, counts: Record<string, number>, why: string): Shortfall | null {
  const target = params.target ?? 'generated';
  const delivered = counts[target] ?? 0;
  if (delivered >= params.samples) return null;
  return { target, requested: params.samples, delivered, short: params.samples - delivered, reason: why };
}
