/**
 * Distillation: a document's chunks become question-and-answer pairs, each checked against its own
 * chunk. Stages stream: a chunk's pairs are validated while later chunks are still generating.
 * Files are rebuilt from the call journal on every (re)start, so a resumed run writes the same
 * files as an uninterrupted one and pays only for calls it never made.
 */
import type { RunModeParams } from '../run-mode.js';
import path from 'node:path';
import type { RunContext } from '../engine.js';
import type { DocumentRef } from '../../files/documents.js';
import { JsonlAppender, writeJsonAtomic, writeJsonlAtomic } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { NearDuplicateIndex } from '../dedup.js';
import type { Sample } from '../sample.js';
import { distillFiles } from '../run-files.js';
import { overallScore, scoreVerdict } from '../judging.js';
import { answered } from '../stage-outcome.js';
import { chunkDocument, type Chunk } from './chunker.js';
import { readSource, type SourceChunk } from './inputs.js';
import { placeLabel } from '../../documents/model.js';
import { defaultPairsPerChunk } from './estimate.js';
import { evidenceFound, generationSchema, isStandalone, normalizeForEvidence, distillCriteria, verdictSchema, type GeneratedPair } from './schemas.js';

type DocumentParam = DocumentRef & { sha256: string; name: string };

export interface DistillParams extends RunModeParams {
  /** The (first) document; runs started before folders were read have only this. */
  document: DocumentParam;
  /** Every document of the run, in order (one unless a folder was named). */
  documents?: DocumentParam[];
  /** The folder named, when one was. */
  folder?: string;
  pairs_per_chunk?: number;
  chunk_tokens: number;
  overlap_tokens: number;
  min_score: number;
}

const generateStage = 'distill.generate';
const validateStage = 'distill.validate';

interface Candidate {
  id: string;
  pair: GeneratedPair;
  chunk: SourceChunk;
}

export async function runDistill(context: RunContext<DistillParams>): Promise<Record<string, unknown>> {
  const { params, progress, services, dir } = context;
  const started = Date.now();
  const chunks: SourceChunk[] = [];
  for (const document of params.documents ?? [params.document]) {
    const source = await readSource(document, services.config.maxFileBytes, { chunkTokens: params.chunk_tokens, overlapTokens: params.overlap_tokens }, chunks.length, document.sha256);
    chunks.push(...source.chunks);
  }
  await writeJsonlAtomic(path.join(dir, distillFiles.chunks), chunks);
  progress.setTotal(generateStage, chunks.length);
  progress.setTotal(validateStage, 0);
  // Every pair asked for is one validation call at most: auto mode sizes the stage by it from the start.
  context.expectCalls(validateStage, chunks.reduce((sum, chunk) => sum + (params.pairs_per_chunk ?? defaultPairsPerChunk(chunk.tokens)), 0));
  progress.count('chunks', chunks.length);

  const generatedFile = await JsonlAppender.fresh(dir, distillFiles.generated);
  const validatedFile = await JsonlAppender.fresh(dir, distillFiles.validated);
  const goldenFile = await JsonlAppender.fresh(dir, distillFiles.golden);
  const files = [generatedFile, validatedFile, goldenFile];
  const duplicates = new NearDuplicateIndex();
  const normalizedChunks = new Map<number, string>();
  const prompts = services.prompts;

  const generated = mapOrdered(chunks, context.window(generateStage, 'generate', 16), async (chunk) => {
    const wanted = params.pairs_per_chunk ?? defaultPairsPerChunk(chunk.tokens);
    const rendered = prompts.render('distill/generate', { document: chunk.file, headings: chunk.headings.join(' > ') || '(none)', pairs: wanted, passage: chunk.text });
    const outcome = await context.call({ stage: generateStage, role: 'generate', sampleKey: `chunk-${chunk.index}-${chunk.hash}-${wanted}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: generationSchema, schemaName: 'qa_pairs', maxOutputTokens: Math.max(1024, wanted * 400) });
    if (!answered(context, generateStage, outcome, `chunk ${chunk.index}`)) return { chunk, pairs: [] as GeneratedPair[] };
    if (outcome.value.pairs.length > wanted) progress.drop('over_requested', outcome.value.pairs.length - wanted);
    return { chunk, pairs: outcome.value.pairs.slice(0, wanted) };
  }, context.shouldStop);

  const rejectWithoutCall = (candidate: Candidate, reason: string, message: string) => {
    progress.drop(reason);
    progress.count('rejected');
    validatedFile.write(toSample(context.runId, candidate, { status: 'rejected', reason: message, by: 'filter', scores: { overall: 0 } }));
  };

  async function* candidates(): AsyncGenerator<Candidate> {
    for await (const { chunk, pairs } of generated) {
      for (const [index, pair] of pairs.entries()) {
        const candidate = { id: `${context.runId}-${chunk.index}-${index}`, pair, chunk };
        progress.count('generated');
        const duplicate = duplicates.check(candidate.id, pair.question);
        const standalone = isStandalone(pair.question);
        generatedFile.write({ id: candidate.id, chunk: chunk.index, ...pair, filtered: duplicate.duplicate ? `duplicate_${duplicate.kind}` : standalone ? null : 'not_standalone', duplicate_of: duplicate.duplicate ? duplicate.of : undefined });
        if (duplicate.duplicate) {
          progress.drop(`duplicate_${duplicate.kind}`);
          progress.count('duplicates_removed');
          continue;
        }
        if (!standalone) {
          progress.drop('not_standalone');
          progress.count('filtered');
          continue;
        }
        let normalized = normalizedChunks.get(chunk.index);
        if (normalized === undefined) {
          normalized = normalizeForEvidence(chunk.text);
          normalizedChunks.set(chunk.index, normalized);
        }
        if (!evidenceFound(pair.evidence, chunk.text, normalized)) {
          rejectWithoutCall(candidate, 'evidence_not_found', 'The evidence quote does not occur in the chunk, so the answer is not grounded in the document.');
          continue;
        }
        progress.addTotal(validateStage, 1);
        yield candidate;
      }
      normalizedChunks.delete(chunk.index - 1);
    }
  }

  const validated = mapOrdered(candidates(), context.window(validateStage, 'validate', 64), async (candidate) => {
    const rendered = prompts.render('distill/validate', { passage: candidate.chunk.text, question: candidate.pair.question, answer: candidate.pair.answer });
    const outcome = await context.call({ stage: validateStage, role: 'validate', sampleKey: candidate.id, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: verdictSchema, schemaName: 'verdict' });
    if (!answered(context, validateStage, outcome, candidate.id)) return undefined;
    const verdict = outcome.value;
    const overall = overallScore(verdict, distillCriteria);
    const { approved, reason } = scoreVerdict(overall, params.min_score, verdict.reason);
    return toSample(context.runId, candidate, {
      status: approved ? 'approved' : 'rejected',
      reason,
      by: 'judge',
      model: `${outcome.provider}/${outcome.model}`,
      scores: { overall, faithfulness: verdict.faithfulness, correctness: verdict.correctness, clarity: verdict.clarity, usefulness: verdict.usefulness },
    });
  }, context.shouldStop);

  for await (const sample of validated) {
    if (!sample) continue;
    validatedFile.write(sample);
    if (sample.status === 'approved') {
      progress.count('approved');
      goldenFile.write(sample);
    } else {
      progress.count('rejected');
      progress.drop('below_min_score');
    }
  }
  await Promise.all(files.map((file) => file.close()));
  if (context.shouldStop()) return {};

  const metrics = distillMetrics(context, chunks.length, (Date.now() - started) / 1000);
  await writeJsonAtomic(path.join(dir, distillFiles.metrics), metrics);
  return metrics;
}

function toSample(runId: string, candidate: Candidate, verdict: { status: Sample['status']; reason: string; by: Sample['review']['by']; model?: string; scores: Sample['scores'] }): Sample {
  const { pair, chunk } = candidate;
  return {
    id: candidate.id,
    instruction: pair.question,
    input: '',
    output: pair.answer,
    reasoning: pair.reasoning,
    difficulty: pair.difficulty,
    question_type: pair.question_type,
    evidence: pair.evidence,
    source: { file: chunk.file, chunk: chunk.index, headings: chunk.headings, ...(chunk.pages ? { page: chunk.page, pages: chunk.pages } : {}), location: placeLabel(chunk.file, chunk.pages, chunk.headings), run: runId, pipeline: 'distill' },
    scores: verdict.scores,
    status: verdict.status,
    review: { by: verdict.by, reason: verdict.reason, at: new Date().toISOString(), ...(verdict.model ? { model: verdict.model } : {}) },
  };
}

/** Output files are rebuilt from the journal on every (re)start. */

function distillMetrics(context: RunContext<DistillParams>, chunkCount: number, seconds: number) {
  const data = context.progress.snapshot();
  const counts = data.counts;
  const approved = counts.approved ?? 0;
  const rejected = counts.rejected ?? 0;
  const judged = approved + rejected;
  const topRejectionReasons = Object.entries(data.drops).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([reason, count]) => ({ reason, count }));
  return {
    run_id: context.runId,
    pipeline: 'distill',
    document: context.params.folder ?? context.params.document.relative,
    counts: {
      chunks: chunkCount,
      generated: counts.generated ?? 0,
      duplicates_removed: counts.duplicates_removed ?? 0,
      filtered_not_standalone: counts.filtered ?? 0,
      validated: judged,
      approved,
      rejected,
      generation_failures: data.stages[generateStage]?.failed ?? 0,
      validation_failures: data.stages[validateStage]?.failed ?? 0,
    },
    approval_rate: judged ? approved / judged : 0,
    approval_target: 0.75,
    drop_reasons: data.drops,
    retried_attempts: data.retries,
    top_rejection_reasons: topRejectionReasons,
    cost_usd: { total: data.costUsd, generate: data.stages[generateStage]?.costUsd ?? 0, validate: data.stages[validateStage]?.costUsd ?? 0 },
    cost_per_approved_pair_usd: approved ? data.costUsd / approved : null,
    tokens: { input: data.usage.inputTokens, cached_input: data.usage.cachedInputTokens, cache_write: data.usage.cacheWriteTokens + data.usage.cacheWrite1hTokens, output: data.usage.outputTokens },
    calls: { paid: data.paidCalls, replayed_from_journal: data.replayedCalls },
    durations_seconds: { this_session: seconds, total: data.elapsedSeconds },
  };
}
