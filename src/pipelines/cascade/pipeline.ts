/**
 * The cascade: stage A writes raw pairs from the coverage plan (several per call), stage B formats
 * each into the canonical fields or flags it unusable, stage C scores and approves or rejects it.
 * Pairs stream from stage to stage in plan order; duplicates are removed across the run; the golden
 * split is made once every approval is known. Files are rebuilt from the call journal on every
 * (re)start, so a resumed run writes what an uninterrupted one would.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { DistilleryError } from '../../errors.js';
import { JsonlAppender, readJsonl, writeJsonAtomic } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { stableKey } from '../../util/hash.js';
import { NearDuplicateIndex } from '../dedup.js';
import type { RunContext } from '../engine.js';
import type { Sample } from '../sample.js';
import { normalizeTemplate, type DomainTemplate } from './domains.js';
import { splitGolden, type ApprovedPair } from './golden.js';
import { cascadeMetrics } from './metrics.js';
import { cascadeFiles, cascadeStages, type CascadeParams } from './params.js';
import { coveragePlan, matchSlots, type PlanBatch, type PlanSlot } from './plan.js';
import { cascadePrompts, formatValues, generateValues, validateValues } from './prompts.js';
import { cascadeVerdictSchema, expandedDomainSchema, formattedSchema, generationSchema, minSafetyScore, overallScore, type Formatted, type RawPair } from './schemas.js';

export { cascadeFiles, cascadeStages, type CascadeParams };

const { generate: generateStage, format: formatStage, validate: validateStage } = cascadeStages;
/** Stage-A calls in flight: each brings several pairs, so a few keep stages B and C busy. */
const generateWindow = 16;

interface Candidate {
  id: string;
  batch: PlanBatch;
  slot: PlanSlot;
  pair: RawPair;
}
interface FormattedCandidate extends Candidate {
  formatted: Formatted;
}

export async function runCascade(context: RunContext<CascadeParams>): Promise<Record<string, unknown>> {
  const { params, progress, services, dir, runId } = context;
  const started = Date.now();
  const template = await domainTemplate(context);
  const plan = coveragePlan(template, params.samples, params.pairs_per_call);
  const stageAOnly = params.stage_a_only;
  progress.setTotal(generateStage, plan.batches.length);
  if (!stageAOnly) {
    progress.setTotal(formatStage, params.samples);
    progress.setTotal(validateStage, params.samples);
  }
  // A pair that leaves the funnel early is taken off the totals of the stages it will not reach.
  const skip = (amount: number, stages: string[]) => stages.forEach((stage) => !stageAOnly && progress.addTotal(stage, -amount));
  const rawFile = await openFresh(dir, cascadeFiles.raw);
  const files = [rawFile];
  const formattedFile = stageAOnly ? undefined : await openFresh(dir, cascadeFiles.formatted);
  const validatedFile = stageAOnly ? undefined : await openFresh(dir, cascadeFiles.validated);
  for (const file of [formattedFile, validatedFile]) if (file) files.push(file);
  // Removed before formatting, so no one pays to format or judge a repeat. Not again after: the
  // formatter may move material into `input`, leaving equal instructions for different tasks.
  const rawIndex = new NearDuplicateIndex();
  const approved: ApprovedPair[] = [];
  const { prompts } = services;
  // Twice what the provider may have in flight: its slots stay full while results are taken in
  // order, and no more calls wait at its limiter (each holding budget) than that.
  const inFlight = (role: 'format' | 'validate') => context.window(cascadeStages[role], role, 2 * services.llm.resolve(role).provider.concurrency);

  const generated = mapOrdered(plan.batches, context.window(generateStage, 'generate', generateWindow), async (batch) => {
    const rendered = prompts.render(cascadePrompts.generate, generateValues(template, batch));
    const outcome = await context.call({ stage: generateStage, role: 'generate', sampleKey: `a-${batch.index}-${batch.key}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: generationSchema, schemaName: 'raw_pairs', maxOutputTokens: Math.max(1024, batch.slots.length * 500) });
    if (!outcome.ok) {
      progress.failed(generateStage, outcome.reason, `call ${batch.index} (${batch.subtopic}): ${outcome.message}`);
      context.checkFailures(generateStage);
      return { batch, pairs: [] as { slot: PlanSlot; pair: RawPair }[] };
    }
    progress.succeeded(generateStage);
    const { matched, extra } = matchSlots(batch, outcome.value.pairs);
    if (extra > 0) progress.drop('stage_a_over_requested', extra);
    return { batch, pairs: matched };
  }, context.shouldStop);

  async function* candidates(): AsyncGenerator<Candidate> {
    for await (const { batch, pairs } of generated) {
      const missing = batch.slots.length - pairs.length;
      if (missing > 0) {
        progress.drop('stage_a_missing_pairs', missing);
        skip(missing, [formatStage, validateStage]);
      }
      for (const { slot, pair } of pairs) {
        const candidate = { id: `${runId}-${batch.index}-${slot.slot}`, batch, slot, pair };
        progress.count('generated');
        const duplicate = rawIndex.check(candidate.id, pair.question);
        rawFile.write({ id: candidate.id, batch: batch.index, slot: slot.slot, topic: batch.topic, subtopic: batch.subtopic, task_type: slot.task_type, difficulty: slot.difficulty, persona: slot.persona, angle: slot.angle, question: pair.question, answer: pair.answer, filtered: duplicate.duplicate ? `duplicate_${duplicate.kind}` : null, ...(duplicate.duplicate ? { duplicate_of: duplicate.of } : {}) });
        if (duplicate.duplicate) {
          progress.drop(`duplicate_${duplicate.kind}`);
          progress.count('duplicates_removed');
          skip(1, [formatStage, validateStage]);
          continue;
        }
        yield candidate;
      }
    }
  }

  const formatted = mapOrdered(candidates(), inFlight('format'), async (candidate) => {
    const rendered = prompts.render(cascadePrompts.format, formatValues(template, candidate.batch, candidate.slot, candidate.pair.question, candidate.pair.answer));
    const outcome = await context.call({ stage: formatStage, role: 'format', sampleKey: `${candidate.id}-${stableKey(candidate.pair)}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: formattedSchema, schemaName: 'formatted_pair' });
    if (!outcome.ok) {
      progress.failed(formatStage, outcome.reason, `${candidate.id}: ${outcome.message}`);
      context.checkFailures(formatStage);
      return undefined;
    }
    progress.succeeded(formatStage);
    return { ...candidate, formatted: outcome.value, model: `${outcome.provider}/${outcome.model}` };
  }, context.shouldStop);

  async function* usable(): AsyncGenerator<FormattedCandidate> {
    for await (const item of formatted) {
      if (!item) {
        skip(1, [validateStage]);
        continue;
      }
      const { formatted: value } = item;
      progress.count('formatted');
      const problem = !value.usable ? (value.problem ?? 'unspecified') : value.instruction.trim().length < 8 || !value.output.trim() ? 'empty_fields' : undefined;
      formattedFile!.write({ ...baseSample(item, value, runId, params), usable: !problem, problem: problem ?? null, note: value.note, formatted_by: item.model, filtered: problem ? `unusable_${problem}` : null });
      if (!problem) {
        yield item;
        continue;
      }
      progress.count('unusable');
      progress.drop(`unusable_${problem}`);
      skip(1, [validateStage]);
    }
  }

  const validated = mapOrdered(usable(), inFlight('validate'), async (item) => {
    const values = validateValues(template, item.batch, item.slot, item.formatted);
    const rendered = prompts.render(cascadePrompts.validate, values);
    const outcome = await context.call({ stage: validateStage, role: 'validate', sampleKey: `${item.id}-${stableKey(values)}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: cascadeVerdictSchema, schemaName: 'verdict' });
    if (!outcome.ok) {
      progress.failed(validateStage, outcome.reason, `${item.id}: ${outcome.message}`);
      context.checkFailures(validateStage);
      return undefined;
    }
    progress.succeeded(validateStage);
    const verdict = outcome.value;
    const overall = overallScore(verdict);
    const unsafe = verdict.safety < minSafetyScore;
    const approvedPair = overall >= params.min_score && !unsafe;
    const reason = approvedPair ? verdict.reason : unsafe ? `Safety score ${verdict.safety} is below ${minSafetyScore}: ${verdict.reason}` : `Score ${overall} is below min_score ${params.min_score}: ${verdict.reason}`;
    const sample: Sample = {
      ...baseSample(item, item.formatted, runId, params),
      scores: { overall, accuracy: verdict.accuracy, completeness: verdict.completeness, clarity: verdict.clarity, usefulness: verdict.usefulness, safety: verdict.safety },
      status: approvedPair ? 'approved' : 'rejected',
      review: { by: 'judge', reason, at: new Date().toISOString(), model: `${outcome.provider}/${outcome.model}` },
    };
    return { sample, rejection: approvedPair ? undefined : unsafe ? 'unsafe' : 'below_min_score' };
  }, context.shouldStop);

  try {
    if (stageAOnly) {
      for await (const _ of candidates()) progress.count('passed_stage_a');
    } else {
      for await (const result of validated) {
        if (!result) continue;
        const { sample, rejection } = result;
        validatedFile!.write(sample);
        if (rejection) {
          progress.count('rejected');
          progress.drop(rejection);
          continue;
        }
        progress.count('approved');
        approved.push({ id: sample.id, topic: String(sample.source.topic), difficulty: sample.difficulty, overall: sample.scores.overall, instruction: sample.instruction });
      }
    }
  } finally {
    await Promise.all(files.map((file) => file.close()));
  }
  if (context.shouldStop()) return {};
  const split = stageAOnly ? undefined : await writeSplit(dir, approved, params.golden_fraction, context);
  const metrics = cascadeMetrics(context, template, plan, split, (Date.now() - started) / 1000);
  await writeJsonAtomic(path.join(dir, cascadeFiles.metrics), metrics);
  return metrics;
}

/** The template kept with the run, or the free-text domain expanded by one journaled call. */
async function domainTemplate(context: RunContext<CascadeParams>): Promise<DomainTemplate> {
  const { params, progress, services, dir } = context;
  const file = path.join(dir, cascadeFiles.domain);
  const { input, kind, name } = params.domain;
  if (params.domain.template) {
    await writeJsonAtomic(file, { input, kind, name, template: params.domain.template });
    return params.domain.template;
  }
  const rendered = services.prompts.render(cascadePrompts.expand, { domain: input });
  progress.setTotal(cascadeStages.expand, 1);
  const outcome = await context.call({ stage: cascadeStages.expand, role: 'generate', sampleKey: `expand-${stableKey(input)}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: expandedDomainSchema, schemaName: 'domain_template', maxOutputTokens: 4096 });
  if (!outcome.ok) {
    progress.failed(cascadeStages.expand, outcome.reason, outcome.message);
    throw new DistilleryError('domain_expand_failed', `Expanding the domain "${input}" into a topic tree failed (${outcome.reason}: ${outcome.message}). Start a new cascade with a more specific description, or use a template such as general.`);
  }
  progress.succeeded(cascadeStages.expand);
  const template = normalizeTemplate({ ...outcome.value, name: input });
  await writeJsonAtomic(file, { input, kind, name, template, expanded_by: `${outcome.provider}/${outcome.model}` });
  return template;
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

/** train.jsonl and golden_test_set.jsonl from the validated file, once every approval is known. */
async function writeSplit(dir: string, approved: ApprovedPair[], fraction: number, context: RunContext<CascadeParams>) {
  const split = splitGolden(approved, fraction);
  const trainFile = await openFresh(dir, cascadeFiles.train);
  const goldenFile = await openFresh(dir, cascadeFiles.golden);
  try {
    for await (const sample of readJsonl<Sample>(path.join(dir, cascadeFiles.validated))) {
      if (sample.status !== 'approved') continue;
      if (split.golden.has(sample.id)) goldenFile.write({ ...sample, split: 'golden' });
      else if (!split.leaked.has(sample.id)) trainFile.write({ ...sample, split: 'train' });
    }
  } finally {
    await Promise.all([trainFile.close(), goldenFile.close()]);
  }
  context.progress.count('golden', split.golden.size);
  context.progress.count('train', approved.length - split.golden.size - split.leaked.size);
  if (split.leaked.size) {
    context.progress.count('dropped_near_golden', split.leaked.size);
    context.progress.drop('near_duplicate_of_golden', split.leaked.size);
  }
  return { approved: approved.length, golden: split.golden.size, leaked: split.leaked.size, target: split.target };
}

/** Output files are rebuilt from the journal on every (re)start. */
async function openFresh(dir: string, name: string): Promise<JsonlAppender> {
  const file = path.join(dir, name);
  await rm(file, { force: true });
  return JsonlAppender.open(file);
}
