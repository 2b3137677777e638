/**
 * Peak-hour pricing (DeepSeek charges double on weekday mornings UTC): what the high end of an
 * estimate becomes when its peak-priced stages run off-peak, and the hours to say in a plan.
 */
import type { PriceRow } from '../config.js';
import { costUsd } from '../llm/prices.js';
import { emptyUsage } from '../llm/types.js';
import type { Services } from '../services.js';
import { offPeakMoment, peakMomentOf } from '../pipelines/cost-range.js';

/** A typical call's mix of prompt and answer tokens; for DeepSeek the ratio is the same for any mix. */
const typicalCall = { ...emptyUsage(), inputTokens: 1000, outputTokens: 300 };

/** Off-peak cost over peak cost of a typical call spread over `rows` (a stage's models): 1 when none has peak hours. */
export function offPeakRatio(rows: PriceRow[]): number {
  let peak = 0;
  let offPeak = 0;
  for (const row of rows) {
    const moment = peakMomentOf(row);
    const atPeak = costUsd(row, typicalCall, moment ?? offPeakMoment());
    peak += atPeak;
    offPeak += moment ? costUsd(row, typicalCall, offPeakMoment()) : atPeak;
  }
  return peak > 0 ? offPeak / peak : 1;
}

/** The high end with every stage at its off-peak rates: stages are [high cost, the rows of its models]. */
export function offPeakHigh(stages: [number, PriceRow[]][]): number {
  return stages.reduce((sum, [high, rows]) => sum + high * offPeakRatio(rows), 0);
}

/** "deepseek: weekdays 01-04 and 06-10 UTC", for each configured stage model with peak hours. */
export function peakHoursText(services: Services): string | undefined {
  const seen = new Map<string, string>();
  for (const role of ['generate', 'format', 'validate', 'judge'] as const) {
    const row = services.llm.resolve(role).price;
    if (!row.peak || seen.has(row.provider)) continue;
    const hours = row.peak.hours_utc.map(([start, end]) => `${pad(start)}-${pad(end)}`).join(' and ');
    seen.set(row.provider, `${row.provider} peak hours are ${row.peak.weekdays_only ? 'weekdays ' : ''}${hours} UTC`);
  }
  return seen.size ? [...seen.values()].join('; ') : undefined;
}

function pad(hour: number): string {
  return String(hour).padStart(2, '0');
}
