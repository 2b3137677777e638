/** The live/batch choice every run takes (start_cascade, distill_file, start_ensemble and the CLI). */
import { z } from 'zod';
import type { RunParams } from '../store/catalog.js';
import { runModes, type RunMode } from './batch-types.js';

export const runModeInput = {
  mode: z.enum(runModes).optional().describe(
    'live (default): every call at once. batch: calls to providers with a batch API (OpenAI, Anthropic) go through it at half price, answered within 24 h. ' +
      'auto: batch for a stage with more calls than the configured threshold, live otherwise. DeepSeek has no batch API: in batch and auto mode its calls wait for its off-peak hours.',
  ),
  deepseek_off_peak: z.boolean().optional().describe('In batch and auto mode, wait for DeepSeek\'s off-peak hours (default true); false sends DeepSeek calls at once.'),
};

/** What every run shares (max_usd from RunParams) plus how its calls go out. */
export interface RunModeParams extends RunParams {
  mode: RunMode;
  deepseek_off_peak: boolean;
}

export function runModeParams(input: { mode?: RunMode; deepseek_off_peak?: boolean }): RunModeParams {
  return { mode: input.mode ?? 'live', deepseek_off_peak: input.deepseek_off_peak ?? true };
}

/** What a run is checked against before it starts: the batch estimate in batch mode, the live one otherwise (auto may go live). */
export function costForMode<R>(estimate: { costUsd: R; costBatchUsd: R }, mode: RunMode | undefined): R {
  return mode === 'batch' ? estimate.costBatchUsd : estimate.costUsd;
}
