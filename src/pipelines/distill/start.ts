/**
 * Everything before a distillation spends money: find and check the document, chunk it, estimate
 * the cost, make sure the providers are configured and the budget covers it, then start the run.
 */
import { z } from 'zod';
import { readDocument, resolveDocument } from '../../files/documents.js';
import type { RunRecord } from '../../store/catalog.js';
import type { Services } from '../../services.js';
import type { RunEngine } from '../engine.js';
import { chunkDocument, defaultChunkOptions } from './chunker.js';
import { estimateDistill } from './estimate.js';
import { calibratedDistillEstimate, type CalibratedDistillEstimate } from '../../planning/calibration.js';
import type { DistillParams } from './pipeline.js';
import { checkRunFits } from '../budget-fit.js';
import { costForMode, runModeInput, runModeParams } from '../run-mode.js';

export const distillInput = z.object({
  path: z.string().min(1).max(4096).describe('The document: a bare file name such as legal_guide.txt, a path relative to an allowed root, or an absolute path inside one. .txt or .md, UTF-8.'),
  pairs_per_chunk: z.int().min(1).max(20).optional().describe('Q&A pairs to write per chunk (default: scaled to the chunk size, 1-8).'),
  chunk_tokens: z.int().min(200).max(8000).optional().describe(`Target chunk size in tokens (default ${defaultChunkOptions.chunkTokens}).`),
  overlap_tokens: z.int().min(0).max(1000).optional().describe(`Tokens of context repeated between neighbouring chunks (default ${defaultChunkOptions.overlapTokens}).`),
  min_score: z.number().min(0).max(10).optional().describe('Approve a pair when the judge scores it at least this, of 10 (default 7).'),
  max_usd: z.number().positive().max(100_000).optional().describe('Hard cap for this run in US dollars; the run pauses instead of going over.'),
  dry_run: z.boolean().optional().describe('Only estimate chunks, calls, tokens and cost; spend nothing. Works without API keys.'),
  ...runModeInput,
});
export type DistillInput = z.infer<typeof distillInput>;

export interface StartOutcome {
  run?: RunRecord;
  dryRun: boolean;
  document: { name: string; relative: string; bytes: number };
  /** Token counts times prices, calibrated with past distill runs of the same models when there are any. */
  estimate: CalibratedDistillEstimate;
  availableUsd: number;
  warnings: string[];
}

export async function startDistill(services: Services, engine: RunEngine, input: DistillInput, roots: string[]): Promise<StartOutcome> {
  const ref = await resolveDocument(input.path, roots);
  const document = await readDocument(ref, { maxBytes: services.config.maxFileBytes });
  const chunkTokens = input.chunk_tokens ?? defaultChunkOptions.chunkTokens;
  const overlapTokens = input.overlap_tokens ?? Math.min(defaultChunkOptions.overlapTokens, Math.floor(chunkTokens / 4));
  const chunks = [...chunkDocument(document.text, { chunkTokens, overlapTokens })];
  const estimate = await calibratedDistillEstimate(services, estimateDistill(services, chunks, input.pairs_per_chunk));
  const name = ref.relative.split(/[\\/]/).pop() ?? ref.relative;
  const availableUsd = services.guard.available();
  const outcome: StartOutcome = { dryRun: !!input.dry_run, document: { name, relative: ref.relative, bytes: document.bytes }, estimate, availableUsd, warnings: [] };
  if (input.dry_run) return outcome;

  for (const role of ['generate', 'validate'] as const) services.llm.requireKey(services.llm.resolve(role));
  checkRunFits(services, costForMode(estimate, input.mode), { availableUsd, maxUsd: input.max_usd }, { what: `distilling ${name}`, lower: 'Lower pairs_per_chunk or distill a smaller document' }, outcome.warnings);
  const params: DistillParams = {
    document: { ...ref, sha256: document.sha256, name },
    pairs_per_chunk: input.pairs_per_chunk,
    chunk_tokens: chunkTokens,
    overlap_tokens: overlapTokens,
    min_score: input.min_score ?? 7,
    max_usd: input.max_usd,
    ...runModeParams(input),
  };
  outcome.run = await engine.start('distill', `${name} ${new Date().toISOString().slice(0, 10)}`, params as unknown as Record<string, unknown>);
  return outcome;
}


