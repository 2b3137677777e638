/** evaluate_model: a candidate model at any OpenAI-compatible endpoint, judged against a baseline on a golden set, as a background run. */
import { z } from 'zod';
import { evaluateInput, startEvaluation } from '../runs/start-evaluate.js';
import { count, usd, usdRange } from '../util/format.js';
import { defineTool } from './define.js';
import { startReply } from './start-reply.js';

const range = z.object({ low: z.number(), expected: z.number(), high: z.number() });

/** The api_key is never echoed, even inside an error message that quotes a provider. */
function scrub(text: string, apiKey: string | undefined): string {
  return apiKey ? text.split(apiKey).join('[redacted]') : text;
}

export const evaluateModelTool = defineTool({
  name: 'evaluate_model',
  title: 'Evaluate a model on a golden set',
  description:
    'Measures a model (say, one fine-tuned on an export and served by Ollama or vLLM) on a golden set: the candidate at base_url and a baseline model ' +
    'answer every golden question; the judge grades both against the golden reference, in a shuffled order, and says which is better. ' +
    'The golden set is a run\'s (run_id; a cascade holds one out) or an export\'s golden file (path). Local endpoints cost $0 (tokens still counted); ' +
    'the baseline and judge calls are priced and reserved like any run. Returns a run_id at once; run_status then reports win_rate, tie_rate, ' +
    'loss_rate and mean_score overall, by difficulty and by topic, with the worst answers. Call with dry_run: true first to see the cost.',
  input: evaluateInput,
  output: z.object({
    run_id: z.string().nullable(),
    dry_run: z.boolean(),
    source: z.string(),
    questions: z.number(),
    candidate: z.string(),
    baseline: z.string(),
    judge: z.string(),
    estimate: z.object({ calls: z.object({ candidate: z.number(), baseline: z.number(), judge: z.number(), total: z.number() }), tokens: z.object({ input: z.number(), output: z.number() }), cost_usd: range, cost_by_stage_usd: z.object({ candidate: range, baseline: range, judge: range }), basis: z.string() }),
    available_usd: z.number(),
    warnings: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, mcp, roots }) {
    try {
      const outcome = await startEvaluation(app.services, app.engine, input, await roots());
      const { estimate } = outcome;
      const plan = `${count(outcome.questions, 'golden question')} from ${outcome.source}: ${outcome.candidate} against ${outcome.baseline}, judged by ${outcome.judge}, in ${count(estimate.calls.total, 'call')}, ${usdRange(estimate.costUsd)}. ${usd(outcome.availableUsd)} is available this month.`;
      return {
        text: scrub(startReply('evaluate_model', outcome.run, plan, outcome.warnings, mcp !== undefined), input.api_key),
        structured: {
          run_id: outcome.run?.id ?? null,
          dry_run: outcome.dryRun,
          source: outcome.source,
          questions: outcome.questions,
          candidate: outcome.candidate,
          baseline: outcome.baseline,
          judge: outcome.judge,
          estimate: { calls: estimate.calls, tokens: estimate.tokens, cost_usd: estimate.costUsd, cost_by_stage_usd: estimate.costByStageUsd, basis: estimate.basis },
          available_usd: outcome.availableUsd,
          warnings: outcome.warnings.map((warning) => scrub(warning, input.api_key)),
        },
      };
    } catch (error) {
      if (error instanceof Error) error.message = scrub(error.message, input.api_key);
      throw error;
    }
  },
});
