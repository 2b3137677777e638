/**
 * Everything before an evaluation spends money: find the golden questions (a run's golden set or
 * an export's golden file), resolve the candidate endpoint, the baseline and the judge, estimate
 * the cost, check keys and budget, then start the run.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { InputError } from '../errors.js';
import type { ModelTarget } from '../llm/types.js';
import type { Services } from '../services.js';
import type { RunRecord } from '../store/catalog.js';
import { checkRunFits } from './budget-fit.js';
import type { RunEngine } from '../pipelines/engine.js';
import { teacherName } from '../pipelines/ensemble/teachers.js';
import { pricedAs, registerCandidate } from '../pipelines/evaluate/endpoint.js';
import { estimateEvaluation, type EvaluateEstimate } from '../pipelines/evaluate/estimate.js';
import { goldenOfPath, goldenOfRun } from '../pipelines/evaluate/golden-source.js';
import type { EvaluateParams } from '../pipelines/evaluate/params.js';

export const evaluateInput = z.strictObject({
  run_id: z.string().min(1).max(200).optional().describe('The run whose golden set is asked (a cascade holds one out); default the latest cascade run. Or give path.'),
  path: z.string().min(1).max(4096).optional().describe("An export folder (its golden file) or a golden .jsonl file, inside the allowed folders or DISTILLERY_HOME/exports; instead of run_id."),
  model: z.string().min(1).max(200).describe('The candidate model name at base_url, e.g. qwen3-1.7b-legal for Ollama.'),
  base_url: z.url({ protocol: /^https?$/ }).max(2000).describe('The candidate\'s OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama) or http://127.0.0.1:8000/v1 (vLLM).'),
  api_key: z.string().min(1).max(500).optional().describe('Key for base_url when it needs one. Kept in memory only: never stored, logged or returned.'),
  baseline_model: z.string().min(1).max(200).optional().describe('The model to beat: provider/model or a bare model name of a configured provider; default the generate stage model.'),
  judge: z.string().min(1).max(200).optional().describe('The judge: provider/model or a bare model name; default the judge stage model.'),
  max_usd: z.number().positive().max(100_000).optional().describe('Hard cap for this run in US dollars; the run pauses instead of going over.'),
  dry_run: z.boolean().optional().describe('Only estimate calls, tokens and cost; spend nothing.'),
});
export type EvaluateInput = z.infer<typeof evaluateInput>;

export interface EvaluateStartOutcome {
  run?: RunRecord;
  dryRun: boolean;
  source: string;
  questions: number;
  candidate: string;
  baseline: string;
  judge: string;
  estimate: EvaluateEstimate;
  availableUsd: number;
  warnings: string[];
}

/** "provider/model" of a configured provider, or a bare model name one configured provider prices. */
export function resolveModelName(services: Services, name: string, argument: string): ModelTarget {
  const slash = name.indexOf('/');
  if (slash > 0 && services.config.providers[name.slice(0, slash)]) return { provider: name.slice(0, slash), model: name.slice(slash + 1) };
  const priced = services.prices.rows().filter((row) => row.model === name && services.config.providers[row.provider]);
  if (priced.length === 1) return { provider: priced[0]!.provider, model: name };
  const configured = Object.keys(services.config.providers).join(', ');
  if (priced.length > 1) throw new InputError(`${argument} "${name}" is priced for ${priced.map((row) => row.provider).join(' and ')}: write it as provider/model, e.g. ${priced[0]!.provider}/${name}.`, 'model_ambiguous');
  throw new InputError(`${argument} "${name}" is neither provider/model of a configured provider (${configured}) nor a model the price table knows. check_setup lists the models; add a price row in the config file for another.`, 'model_unknown');
}

async function findQuestions(services: Services, engine: RunEngine, input: EvaluateInput, roots: readonly string[], warnings: string[]) {
  if (input.run_id && input.path) throw new InputError('Pass run_id or path, not both: the golden questions come from one of them.', 'input_invalid');
  if (input.path) {
    const found = await goldenOfPath(input.path, roots, services.config.home);
    return { ...found, source: { kind: 'export' as const, run_ids: found.runIds } };
  }
  const run = input.run_id ? engine.get(input.run_id) : services.catalog.listRuns({ status: 'completed' }).find((entry) => entry.kind === 'cascade');
  if (!run) throw new InputError('No completed cascade run holds a golden set yet. Pass run_id of a run with a golden set, or path of an export with a golden file.', 'evaluate_no_golden');
  return { ...(await goldenOfRun(engine.runDir(run.id), run, warnings)), source: { kind: 'run' as const, run_id: run.id } };
}

export async function startEvaluation(services: Services, engine: RunEngine, input: EvaluateInput, roots: readonly string[]): Promise<EvaluateStartOutcome> {
  const warnings: string[] = [];
  const found = await findQuestions(services, engine, input, roots, warnings);
  const baseline = teacherName(resolveModelName(services, input.baseline_model ?? `${services.config.stages.generate.provider}/${services.config.stages.generate.model}`, 'baseline_model'));
  const judge = teacherName(resolveModelName(services, input.judge ?? `${services.config.stages.judge.provider}/${services.config.stages.judge.model}`, 'judge'));
  const priced = pricedAs(services, input.base_url, input.model);
  const candidate: EvaluateParams['candidate'] = { provider: `candidate-${randomBytes(4).toString('hex')}`, base_url: input.base_url, model: input.model, api_key_given: input.api_key !== undefined, ...(priced ? { priced_as: priced } : {}) };
  const candidatePrice = priced ? services.prices.require(priced, input.model) : { provider: candidate.provider, model: input.model, input: 0, cached_input: 0, output: 0, source: 'none', as_of: '' };
  const estimate = estimateEvaluation(services, found.questions, { candidate: candidatePrice, baseline, judge });
  if (!priced) warnings.push(`No configured provider prices ${input.model} at ${input.base_url}, so its calls count as $0 (their tokens are still recorded).`);
  const outcome: EvaluateStartOutcome = { dryRun: !!input.dry_run, source: found.file, questions: found.questions.length, candidate: `${input.model} at ${input.base_url}`, baseline, judge, estimate, availableUsd: services.guard.available(), warnings };
  if (input.dry_run) return outcome;
  for (const [role, name] of [['generate', baseline], ['judge', judge]] as const) services.llm.requireKey(services.llm.resolve(role, resolveModelName(services, name, role)));
  checkRunFits(services, estimate.costUsd, { availableUsd: outcome.availableUsd, maxUsd: input.max_usd }, { what: `an evaluation on ${found.questions.length} golden questions`, lower: 'Pick a cheaper baseline_model or judge' }, warnings);
  registerCandidate(services, candidate, input.api_key);
  const params: EvaluateParams = { source: found.source.kind === 'run' ? { kind: 'run', run_id: found.source.run_id, file: found.file } : { kind: 'export', file: found.file, run_ids: found.source.run_ids }, questions: found.questions.length, candidate, baseline, judge, seed: randomBytes(6).toString('hex'), ...(input.max_usd !== undefined ? { max_usd: input.max_usd } : {}) };
  outcome.run = await engine.start('evaluate', `${input.model} vs ${baseline} ${new Date().toISOString().slice(0, 10)}`, params as unknown as Record<string, unknown>);
  return outcome;
}
