/**
 * Stages B and C of the cascade: each pair formatted into the canonical fields (or set aside as
 * unusable with the reason), then scored and approved or rejected by the judge, streaming in order.
 */
import type { JsonlAppender } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { stableKey } from '../../util/hash.js';
import type { NearDuplicateIndex } from '../dedup.js';
import type { RunContext } from '../engine.js';
import type { Sample } from '../sample.js';
import type { DomainTemplate } from './domains.js';
import type { ApprovedPair } from './golden.js';
import { cascadeStages, type CascadeParams } from './params.js';
import type { PlanBatch, PlanSlot } from './plan.js';
import { cascadeTemplates, formatValues, validateValues } from './template-values.js';
import { overallScore, scoreVerdict } from '../judging.js';
import { answered } from '../stage-outcome.js';
import { cascadeVerdictSchema, formattedSchema, minSafetyScore, cascadeCriteria, type CascadeVerdict, type Formatted, type RawPair } from './schemas.js';
import type { Unanswered } from './stage-a.js';

const { format: formatStage, validate: validateStage } = cascadeStages;

export interface Candidate {
  id: string;
  batch: PlanBatch;
  slot: PlanSlot;
  pair: RawPair;
}
export interface FormattedCandidate extends Candidate {
  formatted: Formatted;
}

/** What every wave of a run writes to and reads from. */
export interface Funnel {
  template: DomainTemplate;
  rawFile: JsonlAppender;
  formattedFile?: JsonlAppender;
  validatedFile?: JsonlAppender;
  // Removed before formatting, so no one pays to format or judge a repeat. Not again after: the
  // formatter may move material into `input`, leaving equal instructions for different tasks.
  rawIndex: NearDuplicateIndex;
  approved: ApprovedPair[];
  unanswered: Unanswered;
}

/** A pair that leaves the funnel early is taken off the totals of the stages it will not reach. */
export function skip(context: RunContext<CascadeParams>, amount: number, stages: string[]): void {
  if (!context.params.stage_a_only) for (const stage of stages) context.progress.addTotal(stage, -amount);
}

// Twice what the provider may have in flight: its slots stay full while results are taken in
// order, and no more calls wait at its limiter (each holding budget) than that.
const inFlight = (context: RunContext<CascadeParams>, role: 'format' | 'validate') => context.window(cascadeStages[role], role, 2 * context.services.llm.resolve(role).provider.concurrency);

export function format(context: RunContext<CascadeParams>, funnel: Funnel, items: AsyncIterable<Candidate>) {
  const { progress, services } = context;
  return mapOrdered(items, inFlight(context, 'format'), async (candidate) => {
    const rendered = services.prompts.render(cascadeTemplates.format, formatValues(funnel.template, candidate.batch, candidate.slot, candidate.pair.question, candidate.pair.answer));
    const outcome = await context.call({ stage: formatStage, role: 'format', sampleKey: `${candidate.id}-${stableKey(candidate.pair)}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: formattedSchema, schemaName: 'formatted_pair' });
    if (!answered(context, formatStage, outcome, candidate.id)) return undefined;
    return { ...candidate, formatted: outcome.value, model: `${outcome.provider}/${outcome.model}` };
  }, context.shouldStop);
}

export async function* usable(context: RunContext<CascadeParams>, funnel: Funnel, items: AsyncIterable<(FormattedCandidate & { model: string }) | undefined>): AsyncGenerator<FormattedCandidate> {
  const { progress, params, runId } = context;
  for await (const item of items) {
    if (!item) {
      skip(context, 1, [validateStage]);
      continue;
    }
    const { formatted: value } = item;
    progress.count('formatted');
    const problem = !value.usable ? (value.problem ?? 'unspecified') : value.instruction.trim().length < 8 || !value.output.trim() ? 'empty_fields' : undefined;
    funnel.formattedFile!.write({ ...baseSample(item, value, runId, params), usable: !problem, problem: problem ?? null, note: value.note, formatted_by: item.model, filtered: problem ? `unusable_${problem}` : null });
    if (!problem) {
      yield item;
      continue;
    }
    progress.count('unusable');
    progress.drop(`unusable_${problem}`);
    skip(context, 1, [validateStage]);
  }
}

export function validate(context: RunContext<CascadeParams>, funnel: Funnel, items: AsyncIterable<FormattedCandidate>) {
  const { progress, services, params, runId } = context;
  return mapOrdered(items, inFlight(context, 'validate'), async (item) => {
    const values = validateValues(funnel.template, item.batch, item.slot, item.formatted);
    const rendered = services.prompts.render(cascadeTemplates.validate, values);
    const outcome = await context.call({ stage: validateStage, role: 'validate', sampleKey: `${item.id}-${stableKey(values)}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: cascadeVerdictSchema, schemaName: 'verdict' });
    if (!answered(context, validateStage, outcome, item.id)) return undefined;
    return judged(item, outcome.value, `${outcome.provider}/${outcome.model}`, runId, params);
  }, context.shouldStop);
}

/** The validated sample from the judge's verdict: approved, or rejected with the reason. */
function judged(item: FormattedCandidate, verdict: CascadeVerdict, model: string, runId: string, params: CascadeParams): { sample: Sample; rejection?: string } {
  const overall = overallScore(verdict, cascadeCriteria);
  const unsafe = verdict.safety < minSafetyScore;
  const { approved: approvedPair, reason } = unsafe ? { approved: false, reason: `Safety score ${verdict.safety} is below ${minSafetyScore}: ${verdict.reason}` } : scoreVerdict(overall, params.min_score, verdict.reason);
  const sample: Sample = {
    ...baseSample(item, item.formatted, runId, params),
    scores: { overall, accuracy: verdict.accuracy, completeness: verdict.completeness, clarity: verdict.clarity, usefulness: verdict.usefulness, safety: verdict.safety },
    status: approvedPair ? 'approved' : 'rejected',
    review: { by: 'judge', reason, at: new Date().toISOString(), model },
  };
  return { sample, rejection: approvedPair ? undefined : unsafe ? 'unsafe' : 'below_min_score' };
}

function baseSample(item: Candidate, value: Formatted, runId: string, params: CascadeParams) {
  return {
    id: item.id,
    instruction: value.instruction,
    input: value.input,
    output: value.output,
    reasoning: value.reasoning,
    difficulty: value.difficulty,
    source: { domain: params.domain.name, topic: item.batch.topic, subtopic: item.batch.subtopic, persona: item.slot.persona, task_type: item.slot.task_type, run: runId, pipeline: 'cascade' },
  };
}

