/**
 * DeepSeek has no batch API; its discount is the off-peak window (data/prices.json). In batch and
 * auto mode a call to a model with peak hours waits for the window, unless the run says
 * `deepseek_off_peak: false`. Nothing is held while it waits.
 */
import type { PriceRow } from '../config.js';
import { isPeak, offPeakFrom } from '../llm/prices.js';

export interface Clock {
  now(): Date;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Waits until the row's off-peak window when `at` is peak; the milliseconds waited (0 when off-peak already). */
export async function waitForOffPeak(row: PriceRow, clock: Clock, signal: AbortSignal): Promise<number> {
  const now = clock.now();
  if (!row.peak || !isPeak(row, now)) return 0;
  const wait = offPeakFrom(row, now).getTime() - now.getTime();
  await clock.sleep(wait, signal);
  return wait;
}
