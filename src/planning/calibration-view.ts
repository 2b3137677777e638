/** How a calibration reads in a start tool's structuredContent (snake_case, like the rest of the output). */
import { z } from 'zod';
import type { Calibration } from './calibration.js';
import { costRangeSchema as range } from '../pipelines/cost-range.js';


export const calibrationOutput = z
  .object({
    past_runs: z.number(),
    run_ids: z.array(z.string()),
    measured_usd_per_unit: z.number(),
    unit: z.string(),
    weight: z.number(),
    token_estimate_usd: range,
  })
  .nullable()
  .describe('How past runs of the same pipeline and models moved the estimate; null when it rests on token counts and prices alone.');

export function calibrationView(calibration: Calibration | null): z.infer<typeof calibrationOutput> {
  if (!calibration) return null;
  return {
    past_runs: calibration.pastRuns,
    run_ids: calibration.runIds,
    measured_usd_per_unit: calibration.measuredUsdPerUnit,
    unit: calibration.unit,
    weight: calibration.weight,
    token_estimate_usd: calibration.tokenCostUsd,
  };
}
