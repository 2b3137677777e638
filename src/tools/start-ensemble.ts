/** start_ensemble: several teachers answer each prompt, a judge builds the consensus, as a background run. */
import { z } from 'zod';
import { ensembleInput, startEnsemble } from '../runs/start-ensemble.js';
import { count, usd, usdRange } from '../util/format.js';
import { calibrationOutput, calibrationView } from '../planning/calibration-view.js';
import { defineTool } from './define.js';
import { calibrationNote, liveAndBatch, startReply } from './start-reply.js';
import { costRangeSchema as range } from '../pipelines/cost-range.js';


export const startEnsembleTool = defineTool({
  name: 'start_ensemble',
  title: 'Start an ensemble',
  description:
    'Maximum-quality answers: every teacher model (by default one DeepSeek, one OpenAI and one Anthropic model) answers each prompt with its ' +
    'reasoning; a judge sees the answers anonymised in a shuffled order, scores them, votes, rates how far they agree (0-1) and writes a consensus ' +
    'answer. Low agreement sends a sample to review as pending; approved samples also yield DPO preference pairs (consensus vs weakest answer). ' +
    'Prompts come from exactly one of prompts_file (.jsonl or .txt in the allowed folders), run_id (an earlier run\'s approved instructions) or ' +
    'domain (generated first). It costs several calls per prompt (teachers + judge), so use it when quality matters more than volume; call with ' +
    'dry_run: true first to show the estimate. Starting returns a run_id at once; poll run_status. If one teacher\'s provider fails for good, the ' +
    'run pauses and resume_run with drop_teachers continues without it.',
  input: ensembleInput,
  output: z.object({
    run_id: z.string().nullable(),
    dry_run: z.boolean(),
    source: z.object({ kind: z.enum(['file', 'run', 'domain']), description: z.string(), prompts: z.number(), available: z.number().optional(), blank_lines: z.number().optional(), duplicates: z.number().optional() }),
    estimate: z.object({
      prompts: z.number(),
      teachers: z.array(z.string()),
      judge: z.string(),
      calls: z.object({ prompts: z.number(), answer: z.number(), judge: z.number(), total: z.number() }),
      tokens: z.object({ input: z.number(), output: z.number() }),
      cost_usd: range,
      cost_batch_usd: range.describe('The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek.'),
      cost_by_stage_usd: z.object({ prompts: range, answer: range, judge: range }),
      cost_per_sample_usd: range,
      expected_approved_samples: z.number(),
      basis: z.string(),
      calibration: calibrationOutput,
    }),
    available_usd: z.number(),
    warnings: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, roots, mcp }) {
    const outcome = await startEnsemble(app.services, app.engine, input, await roots());
    const { estimate, source } = outcome;
    const cost = `${liveAndBatch(estimate)}, about ${usd(estimate.costPerSampleUsd.expected)} a sample${calibrationNote(estimate)}`;
    const skipped = source.blank_lines ? ` (${count(source.blank_lines, 'blank line')} skipped)` : '';
    const plan = `${count(source.prompts, 'prompt')} from ${source.description}${skipped}, answered by ${estimate.teachers.join(', ')} and judged by ${estimate.judge}: ${count(estimate.calls.total, 'call')}, ${cost}. ${usd(outcome.availableUsd)} is available this month.`;
    return {
      text: startReply('start_ensemble', outcome.run, plan, outcome.warnings, mcp !== undefined),
      structured: {
        run_id: outcome.run?.id ?? null,
        dry_run: outcome.dryRun,
        source,
        estimate: {
          prompts: estimate.prompts,
          teachers: estimate.teachers,
          judge: estimate.judge,
          calls: estimate.calls,
          tokens: estimate.tokens,
          cost_usd: estimate.costUsd,
          cost_batch_usd: estimate.costBatchUsd,
          cost_by_stage_usd: estimate.costByStageUsd,
          cost_per_sample_usd: estimate.costPerSampleUsd,
          expected_approved_samples: estimate.expectedApprovedSamples,
          basis: estimate.basis,
          calibration: calibrationView(estimate.calibration),
        },
        available_usd: outcome.availableUsd,
        warnings: outcome.warnings,
      },
    };
  },
});
