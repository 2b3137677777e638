/** What every estimate shares: a low / expected / high range, and moments that price peak hours. */
import { z } from 'zod';
import type { PriceRow } from '../config.js';

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
