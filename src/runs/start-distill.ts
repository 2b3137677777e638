/**
 * Everything before a distillation spends money: find and check the document (or every document of
 * a folder), extract and chunk it, estimate the cost, make sure the providers are configured and
 * the budget covers it, then start the run.
 */
import { z } from 'zod';
import { defaultMinScore } from '../pipelines/judging.js';
import type { RunRecord } from '../store/catalog.js';
import type { Services } from '../services.js';
import type { RunEngine } from '../pipelines/engine.js';
import { InputError } from '../errors.js';
import { defaultChunkOptions, type ChunkOptions } from '../pipelines/distill/chunker.js';
import { estimateDistill } from '../pipelines/distill/estimate.js';
import { calibratedDistillEstimate, type CalibratedDistillEstimate } from '../planning/calibration.js';
import type { DistillParams } from '../pipelines/distill/pipeline.js';
import { checkRunFits } from './budget-fit.js';
import { costForMode, runModeInput, runModeParams } from '../pipelines/run-mode.js';
import { readSource, resolveInputs, type DistillSource, type SourceChunk } from '../pipelines/distill/inputs.js';

export const distillInput = z.object({
  path: z.string().min(1).max(4096).describe('The document or folder: a bare file name such as tenancy_guide.pdf, a path relative to an allowed root (contracts/ for every document in that folder), or an absolute path inside one. PDF, DOCX, HTML, EPUB, .txt or .md.'),
  pairs_per_chunk: z.int().min(1).max(20).optional().describe('Q&A pairs to write per chunk (default: scaled to the chunk size, 1-8).'),
  chunk_tokens: z.int().min(200).max(8000).optional().describe(`Target chunk size in tokens (default ${defaultChunkOptions.chunkTokens}).`),
  overlap_tokens: z.int().min(0).max(1000).optional().describe(`Tokens of context repeated between neighbouring chunks (default ${defaultChunkOptions.overlapTokens}).`),
  min_score: z.number().min(0).max(10).optional().describe(`Approve a pair when the judge scores it at least this, of 10 (default ${defaultMinScore}).`),
  max_usd: z.number().positive().max(100_000).optional().describe('Hard cap for this run in US dollars; the run pauses instead of going over.'),
  dry_run: z.boolean().optional().describe('Only estimate chunks, calls, tokens and cost, and show the first chunks as extracted; spend nothing. Works without API keys.'),
  ...runModeInput,
});
export type DistillInput = z.infer<typeof distillInput>;

export interface StartOutcome {
  run?: RunRecord;
  dryRun: boolean;
  document: { name: string; relative: string; bytes: number };
  /** Every document read, with what extraction found. */
  documents: DistillSource[];
  /** The first chunks as the model will read them. */
  firstChunks: SourceChunk[];
  /** Token counts times prices, calibrated with past distill runs of the same models when there are any. */
  estimate: CalibratedDistillEstimate;
  availableUsd: number;
  warnings: string[];
}

const shownChunks = 3;

export async function startDistill(services: Services, engine: RunEngine, input: DistillInput, roots: string[]): Promise<StartOutcome> {
  const inputs = await resolveInputs(input.path, roots);
  const chunkTokens = input.chunk_tokens ?? defaultChunkOptions.chunkTokens;
  const overlapTokens = input.overlap_tokens ?? Math.min(defaultChunkOptions.overlapTokens, Math.floor(chunkTokens / 4));
  const warnings: string[] = [];
  const documents = await readSources(inputs.refs, services.config.maxFileBytes, { chunkTokens, overlapTokens }, inputs.folder !== undefined, warnings);
  const chunks = documents.flatMap((document) => document.chunks);
  const estimate = await calibratedDistillEstimate(services, estimateDistill(services, chunks, input.pairs_per_chunk));
  const top = inputs.folder ?? documents[0]!.ref;
  const name = inputs.folder ? `${inputs.folder.relative || inputs.folder.path}/` : documents[0]!.name.split(/[\\/]/).pop()!;
  const availableUsd = services.guard.available();
  const bytes = documents.reduce((sum, document) => sum + document.bytes, 0);
  const outcome: StartOutcome = { dryRun: !!input.dry_run, document: { name, relative: inputs.folder ? name : top.relative, bytes }, documents, firstChunks: chunks.slice(0, shownChunks), estimate, availableUsd, warnings };
  if (input.dry_run) return outcome;

  for (const role of ['generate', 'validate'] as const) services.llm.requireKey(services.llm.resolve(role));
  checkRunFits(services, costForMode(estimate, input.mode), { availableUsd, maxUsd: input.max_usd }, { what: `distilling ${name}`, lower: 'Lower pairs_per_chunk or distill a smaller document' }, outcome.warnings);
  const params: DistillParams = {
    document: { ...documents[0]!.ref, sha256: documents[0]!.sha256, name: documents[0]!.name.split(/[\\/]/).pop()! },
    documents: documents.map((document) => ({ ...document.ref, sha256: document.sha256, name: document.name })),
    ...(inputs.folder ? { folder: name } : {}),
    pairs_per_chunk: input.pairs_per_chunk,
    chunk_tokens: chunkTokens,
    overlap_tokens: overlapTokens,
    min_score: input.min_score ?? defaultMinScore,
    max_usd: input.max_usd,
    ...runModeParams(input),
  };
  outcome.run = await engine.start('distill', `${name} ${new Date().toISOString().slice(0, 10)}`, params);
  return outcome;
}

/**
 * Each document in turn, chunk indexes running on across them. In a folder a document that cannot
 * be read is left out with a warning naming it; a folder with none readable, or a single
 * document that cannot be read, is refused.
 */
async function readSources(refs: DistillInputs['refs'], maxBytes: number, options: ChunkOptions, inFolder: boolean, warnings: string[]): Promise<DistillSource[]> {
  const documents: DistillSource[] = [];
  let next = 0;
  for (const ref of refs) {
    try {
      const document = await readSource(ref, maxBytes, options, next);
      next += document.chunks.length;
      documents.push(document);
      warnings.push(...document.report.warnings);
    } catch (error) {
      if (!inFolder || !(error instanceof InputError)) throw error;
      warnings.push(`Left out: ${error.message}`);
    }
  }
  if (documents.length === 0) throw new InputError(`None of the ${refs.length} documents in the folder could be read:\n${warnings.join('\n')}`, 'document_unreadable');
  return documents;
}

type DistillInputs = Awaited<ReturnType<typeof resolveInputs>>;
