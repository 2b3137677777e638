/** start_cascade: a domain becomes thousands of validated pairs plus a held-out golden test set, as a background run. */
import { z } from 'zod';
import { cascadeInput, startCascade } from '../runs/start-cascade.js';
import { count, percent, usd, usdRange } from '../util/format.js';
import { defineTool } from './define.js';
import { calibrationOutput, calibrationView } from '../planning/calibration-view.js';
import { calibrationNote, liveAndBatch, startReply } from './start-reply.js';
import { costRangeSchema as range } from '../pipelines/cost-range.js';


export const startCascadeTool = defineTool({
  name: 'start_cascade',
  title: 'Generate a domain dataset (cascade)',
  description:
    'Generates many diverse training pairs for a domain with no documents needed: a cheap generator (DeepSeek) writes pairs from a coverage plan of ' +
    'topics, task types, difficulties and personas; a formatter (OpenAI) cleans each into the canonical sample; a validator (Claude) scores and ' +
    'approves or rejects it. Duplicates are removed, and a golden test set (default 9% of approved, stratified, never overlapping train) is held out. ' +
    'domain is a template (medical, legal, finance, software_engineering, customer_support, education, general) or free text such as ' +
    '"veterinary dermatology". samples counts raw pairs; with target: "approved" it counts approved pairs (train plus golden), planned at the measured approval rate. Typical cost at default models: about $0.5-1 per 1,000 samples; stage_a_only: true (raw pairs only) is far cheaper. ' +
    'Call with dry_run: true first to show the estimate, then without it to start. Starting returns a run_id at once; poll run_status.',
  input: cascadeInput,
  output: z.object({
    run_id: z.string().nullable(),
    dry_run: z.boolean(),
    domain: z.object({ input: z.string(), kind: z.enum(['template', 'user_template', 'free_text']), name: z.string(), title: z.string(), topics: z.number(), subtopics: z.number(), personas: z.number(), task_types: z.number() }),
    plan: z.object({ calls: z.number(), pairs_per_call: z.number(), subtopics_covered: z.number(), by_difficulty: z.record(z.string(), z.number()) }),
    estimate: z.object({
      samples: z.number(),
      calls: z.object({ expand: z.number(), generate: z.number(), format: z.number(), validate: z.number(), total: z.number() }),
      tokens: z.object({ input: z.number(), output: z.number() }),
      cost_usd: range,
      cost_batch_usd: range.describe('The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek.'),
      cost_by_stage_usd: z.object({ expand: range, generate: range, format: range, validate: range }),
      expected: z.object({ raw_pairs: z.number(), approved: z.number(), golden: z.number(), train: z.number() }),
      models: z.object({ generate: z.string(), format: z.string(), validate: z.string() }),
      basis: z.string(),
      calibration: calibrationOutput,
    }),
    target: z.enum(['generated', 'approved']),
    approval_rate: z.object({ rate: z.number(), past_runs: z.number(), basis: z.string() }).nullable().describe('Target "approved": the approval rate the raw pairs were planned with.'),
    available_usd: z.number(),
    warnings: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, mcp }) {
    const outcome = await startCascade(app.services, app.engine, input);
    const { estimate, domain } = outcome;
    const cost = `${liveAndBatch(estimate)}${calibrationNote(estimate)}`;
    const what = domain.kind === 'free_text' ? `free-text domain "${domain.input}"` : `the ${domain.name} template (${domain.topics} topics, ${domain.subtopics} subtopics)`;
    const yields = input.stage_a_only
      ? `stage A only: about ${count(estimate.expected.rawPairs, 'raw pair')}`
      : outcome.approval
        ? `${count(input.samples, 'approved pair')} asked for (${estimate.expected.train.toLocaleString('en-US')} train, ${estimate.expected.golden.toLocaleString('en-US')} golden), planned at an approval rate of ${percent(outcome.approval.rate)} (${outcome.approval.pastRuns ? `measured over ${count(outcome.approval.pastRuns, 'past cascade')}` : 'assumed: no past cascade has measured one'}); fresh pairs are planned until that many are approved`
        : `about ${count(estimate.expected.approved, 'approved pair')} expected (${estimate.expected.train.toLocaleString('en-US')} train, ${estimate.expected.golden.toLocaleString('en-US')} golden)`;
    const plan = `${count(estimate.samples, outcome.approval ? 'raw pair' : 'sample')} from ${what} in ${count(estimate.calls.total, 'call')}, ${cost}; ${yields}. ${usd(outcome.availableUsd)} is available this month.`;
    return {
      text: startReply('start_cascade', outcome.run, plan, outcome.warnings, mcp !== undefined),
      structured: {
        run_id: outcome.run?.id ?? null,
        dry_run: outcome.dryRun,
        domain,
        plan: { calls: outcome.plan.calls, pairs_per_call: outcome.plan.pairsPerCall, subtopics_covered: outcome.plan.subtopicsCovered, by_difficulty: outcome.plan.byDifficulty },
        estimate: {
          samples: estimate.samples,
          calls: estimate.calls,
          tokens: estimate.tokens,
          cost_usd: estimate.costUsd,
          cost_batch_usd: estimate.costBatchUsd,
          cost_by_stage_usd: estimate.costByStageUsd,
          expected: { raw_pairs: estimate.expected.rawPairs, approved: estimate.expected.approved, golden: estimate.expected.golden, train: estimate.expected.train },
          models: estimate.models,
          basis: estimate.basis,
          calibration: calibrationView(estimate.calibration),
        },
        target: input.target ?? 'generated',
        approval_rate: outcome.approval ? { rate: outcome.approval.rate, past_runs: outcome.approval.pastRuns, basis: outcome.approval.basis } : null,
        available_usd: outcome.availableUsd,
        warnings: outcome.warnings,
      },
    };
  },
});
