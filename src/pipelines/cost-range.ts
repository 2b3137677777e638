/** What every estimate shares: a low / expected / high range, and moments that price peak hours. */
import { z } from 'zod';
import type { PriceRow, ProviderConfig } from '../config.js';
import { batchLimits } from '../llm/batch/index.js';
import { costUsd } from '../llm/prices.js';
import { emptyUsage } from '../llm/types.js';

export interface CostRange {
  low: number;
  expected: number;
  high: number;
}

/** The same range in a tool's output schema. */
export const costRangeSchema = z.object({ low: z.number(), expected: z.number(), high: z.number() });

export function zeroRange(): CostRange {
  return { low: 0, expected: 0, high: 0 };
}

/** A Saturday noon UTC: off-peak for every provider with peak hours (peak rules go by weekday and hour). */
export function offPeakMoment(): Date {
  return new Date(Date.UTC(2026, 10, 28, 12));
}

/** A weekday inside the row's first peak window; undefined when the row has no peak hours. */
export function peakMomentOf(row: Pick<PriceRow, 'peak'>): Date | undefined {
  const window = row.peak?.hours_utc[0];
  return window ? new Date(Date.UTC(2026, 10, 24, window[0])) : undefined;
}

/** The dearest moment to price a call at: its peak window, or now when it has none. */
export function peakMoment(row: Pick<PriceRow, 'peak'>): Date {
  return peakMomentOf(row) ?? new Date();
}

/** One kind of call in an estimate: prompt tokens (of which the cached system prompt), output tokens, and how many. */
export interface CallShape {
  input: number;
  cached: number;
  output: number;
  times: number;
}

/**
 * Adds a call shape's live range to `live` and its batch-mode range to `batch`. Low: the system
 * prompt cached; high: long answers (and peak hours, live). Batch mode pays the batch rates where the
 * provider has a batch API, and the off-peak rates it waits for where it has none (DeepSeek).
 */
export function addCallCost(live: CostRange, batch: CostRange, target: { provider: ProviderConfig; price: PriceRow }, call: CallShape, retryShare: { expected: number; high: number }): void {
  const { price } = target;
  const usage = { ...emptyUsage(), inputTokens: call.input, outputTokens: call.output };
  const cachedUsage = { ...usage, inputTokens: call.input - call.cached, cachedInputTokens: call.cached };
  const longUsage = { ...usage, outputTokens: Math.ceil(call.output * 1.5) };
  live.low += call.times * costUsd(price, cachedUsage, offPeakMoment());
  live.expected += call.times * costUsd(price, usage, new Date()) * (1 + retryShare.expected);
  live.high += call.times * costUsd(price, longUsage, peakMoment(price)) * (1 + retryShare.high);
  const tier = batchLimits(target.provider) && price.batch ? 'batch' : 'live';
  batch.low += call.times * costUsd(price, cachedUsage, offPeakMoment(), tier);
  batch.expected += call.times * costUsd(price, usage, offPeakMoment(), tier) * (1 + retryShare.expected);
  batch.high += call.times * costUsd(price, longUsage, offPeakMoment(), tier) * (1 + retryShare.high);
}
