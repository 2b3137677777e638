/** distill_file: a document becomes a validated golden dataset, as a background run. */
import { z } from 'zod';
import { distillInput, startDistill } from '../runs/start-distill.js';
import { count, usd, usdRange } from '../util/format.js';
import { calibrationOutput, calibrationView } from '../planning/calibration-view.js';
import { defineTool } from './define.js';
import { calibrationNote, liveAndBatch, startReply } from './start-reply.js';
import { costRangeSchema as range } from '../pipelines/cost-range.js';
import { describeSource } from '../pipelines/distill/inputs.js';
import { chunkOutput, chunkView, documentLines, documentOutput, documentView, firstChunksText } from './document-view.js';


export const distillFileTool = defineTool({
  name: 'distill_file',
  title: 'Distill a document',
  description:
    'Turns the user\'s own documents (PDF, DOCX, HTML, EPUB, .txt or .md; or a folder of them) into a golden Q&A dataset: each document is extracted and chunked locally (free; headings, tables and pages kept), a cheap model writes ' +
    'question-answer pairs per chunk, and a judge model checks each pair against its chunk. Use it when the user has domain documents; it is the ' +
    'most cost-effective path (typically $0.01-0.05 per 100 KB of text at default models). Accepts a bare file name ("legal_guide.txt"): it is ' +
    'looked up in the allowed folders (list_documents shows them). Call with dry_run: true first to show the estimate, then without it to start. ' +
    'Starting returns a run_id at once; the run continues in the background: poll run_status.',
  input: distillInput,
  output: z.object({
    run_id: z.string().nullable(),
    dry_run: z.boolean(),
    document: z.object({ name: z.string(), relative: z.string(), bytes: z.number() }),
    documents: z.array(documentOutput),
    first_chunks: z.array(chunkOutput),
    estimate: z.object({
      chunks: z.number(),
      pairs: z.number(),
      calls: z.object({ generate: z.number(), validate: z.number(), total: z.number() }),
      tokens: z.object({ input: z.number(), output: z.number() }),
      cost_usd: range,
      cost_batch_usd: range.describe('The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek.'),
      cost_by_stage_usd: z.object({ generate: range, validate: range }),
      expected_approved_pairs: z.number(),
      models: z.object({ generate: z.string(), validate: z.string() }),
      basis: z.string(),
      calibration: calibrationOutput,
    }),
    available_usd: z.number(),
    warnings: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, roots, mcp }) {
    const outcome = await startDistill(app.services, app.engine, input, await roots());
    const { estimate } = outcome;
    const listed = outcome.documents.length > 1 ? `\n${documentLines(outcome.documents).join('\n')}\n` : ' ';
    const extracted = outcome.documents.length === 1 ? ` Read as ${describeSource(outcome.documents[0]!.report)}.` : '';
    const plan = `${outcome.document.relative}:${listed}${count(estimate.chunks, 'chunk')}, about ${count(estimate.pairs, 'pair')} to generate and validate in ${count(estimate.calls.total, 'call')}, ${liveAndBatch(estimate)}${calibrationNote(estimate)}; about ${estimate.expectedApprovedPairs} pairs expected to pass. ${usd(outcome.availableUsd)} is available this month.${extracted}`;
    return {
      text: startReply('distill_file', outcome.run, plan, outcome.warnings, mcp !== undefined) + (outcome.dryRun ? firstChunksText(outcome.firstChunks) : ''),
      structured: {
        run_id: outcome.run?.id ?? null,
        dry_run: outcome.dryRun,
        document: outcome.document,
        documents: outcome.documents.map(documentView),
        first_chunks: outcome.firstChunks.map(chunkView),
        estimate: {
          chunks: estimate.chunks,
          pairs: estimate.pairs,
          calls: estimate.calls,
          tokens: estimate.tokens,
          cost_usd: estimate.costUsd,
          cost_batch_usd: estimate.costBatchUsd,
          cost_by_stage_usd: estimate.costByStageUsd,
          expected_approved_pairs: estimate.expectedApprovedPairs,
          models: estimate.models,
          basis: estimate.basis,
          calibration: calibrationView(estimate.calibration),
        },
        available_usd: outcome.availableUsd,
        warnings: outcome.warnings,
      },
    };
  },
});
