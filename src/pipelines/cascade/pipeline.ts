/**
 * The cascade: stage A writes raw pairs from the coverage plan (several per call, asking again for
 * slots left unanswered), stage B formats each into the canonical fields or flags it unusable,
 * stage C scores and approves or rejects it. Pairs stream from stage to stage in plan order;
 * duplicates are removed across the run. With target "approved", waves of fresh slots follow until
 * enough are approved. The golden split is made once every approval is known. Files are rebuilt
 * from the call journal on every (re)start, so a resumed run writes what an uninterrupted one would.
 */
import path from 'node:path';
import { DistilleryError } from '../../errors.js';
import { JsonlAppender, readJsonl, writeJsonAtomic } from '../../store/jsonl.js';
import { stableKey } from '../../util/hash.js';
import { NearDuplicateIndex } from '../dedup.js';
import type { RunContext } from '../engine.js';
import type { Sample } from '../sample.js';
import { normalizeTemplate, type DomainTemplate } from './domains.js';
import { splitGolden, type ApprovedPair } from './golden.js';
import { cascadeMetrics } from './metrics.js';
import { cascadeStages, type CascadeParams } from './params.js';
import { cascadeFiles } from '../run-files.js';
import { coveragePlan, type CoveragePlan } from './plan.js';
import { cascadeTemplates } from './template-values.js';
import { expandedDomainSchema } from './schemas.js';
import { format, skip, usable, validate, type Candidate, type Funnel } from './format-validate.js';
import { generateWithReasks } from './stage-a.js';
import { firstWaveSamples, nextWaveSamples, shortfallAtEnd, type WaveState } from './target.js';

export { cascadeStages, type CascadeParams };

const { format: formatStage, validate: validateStage } = cascadeStages;

export async function runCascade(context: RunContext<CascadeParams>): Promise<Record<string, unknown>> {
  const { params, dir } = context;
  const started = Date.now();
  const template = await domainTemplate(context);
  const firstPlan = coveragePlan(template, firstWaveSamples(params), params.pairs_per_call);
  const rawFile = await JsonlAppender.fresh(dir, cascadeFiles.raw);
  const formattedFile = params.stage_a_only ? undefined : await JsonlAppender.fresh(dir, cascadeFiles.formatted);
  const validatedFile = params.stage_a_only ? undefined : await JsonlAppender.fresh(dir, cascadeFiles.validated);
  const funnel: Funnel = { template, rawFile, formattedFile, validatedFile, rawIndex: new NearDuplicateIndex(), approved: [], unanswered: { slots: 0, reasons: {} } };
  let state: WaveState;
  try {
    state = await runWaves(context, funnel, firstPlan);
  } finally {
    await Promise.all([rawFile, formattedFile, validatedFile].map((file) => file?.close()));
  }
  if (context.shouldStop()) return {};
  const split = params.stage_a_only ? undefined : await writeSplit(dir, funnel.approved, params.golden_fraction, context);
  const shortfall = shortfallAtEnd(params, state, funnel.unanswered);
  if (shortfall) context.progress.count('short_of_target', shortfall.short);
  const metrics = { ...cascadeMetrics(context, template, firstPlan, state.planned, split, (Date.now() - started) / 1000), shortfall };
  await writeJsonAtomic(path.join(dir, cascadeFiles.metrics), metrics);
  return metrics;
}

/** The first wave, then for target "approved" top-up waves of fresh slots until enough are approved. */
async function runWaves(context: RunContext<CascadeParams>, funnel: Funnel, firstPlan: CoveragePlan): Promise<WaveState> {
  const { params, progress } = context;
  const state: WaveState = { waves: 0, planned: 0, generated: 0, delivered: 0 };
  let plan = firstPlan;
  let calls = 0;
  for (;;) {
    state.waves++;
    state.planned += plan.pairs;
    calls += plan.batches.length;
    await runWave(context, funnel, plan);
    if (context.shouldStop()) return state;
    state.generated = progress.data.counts.generated ?? 0;
    state.delivered = funnel.approved.length - splitGolden(funnel.approved, params.golden_fraction).leaked.size;
    const more = nextWaveSamples(params, state);
    if (more === 0) return state;
    progress.count('top_up_waves');
    plan = coveragePlan(funnel.template, more, params.pairs_per_call, { samples: state.planned, calls });
  }
}

/** One plan through the stages: pairs stream from stage to stage in plan order (re-asks last). */
async function runWave(context: RunContext<CascadeParams>, funnel: Funnel, plan: CoveragePlan): Promise<void> {
  const { params, progress } = context;
  if (params.stage_a_only) {
    for await (const _ of candidates(context, funnel, plan)) progress.count('passed_stage_a');
    return;
  }
  progress.addTotal(formatStage, plan.pairs);
  progress.addTotal(validateStage, plan.pairs);
  for await (const result of validate(context, funnel, usable(context, funnel, format(context, funnel, candidates(context, funnel, plan))))) {
    if (!result) continue;
    const { sample, rejection } = result;
    funnel.validatedFile!.write(sample);
    if (rejection) {
      progress.count('rejected');
      progress.drop(rejection);
      continue;
    }
    progress.count('approved');
    funnel.approved.push({ id: sample.id, topic: String(sample.source.topic), difficulty: sample.difficulty, overall: sample.scores.overall, instruction: sample.instruction });
  }
}

async function* candidates(context: RunContext<CascadeParams>, funnel: Funnel, plan: CoveragePlan): AsyncGenerator<Candidate> {
  const { progress, runId } = context;
  const generated = generateWithReasks(context, funnel.template, plan.batches, (left) => {
    progress.drop('stage_a_missing_pairs', left.slots);
    skip(context, left.slots, [formatStage, validateStage]);
    funnel.unanswered.slots += left.slots;
    for (const [reason, n] of Object.entries(left.reasons)) funnel.unanswered.reasons[reason] = (funnel.unanswered.reasons[reason] ?? 0) + n;
  });
  for await (const { batch, pairs } of generated) {
    for (const { slot, pair } of pairs) {
      const candidate = { id: `${runId}-${batch.index}-${slot.slot}`, batch, slot, pair };
      progress.count('generated');
      const duplicate = funnel.rawIndex.check(candidate.id, pair.question);
      funnel.rawFile.write({ id: candidate.id, batch: batch.index, slot: slot.slot, topic: batch.topic, subtopic: batch.subtopic, task_type: slot.task_type, difficulty: slot.difficulty, persona: slot.persona, angle: slot.angle, question: pair.question, answer: pair.answer, filtered: duplicate.duplicate ? `duplicate_${duplicate.kind}` : null, ...(duplicate.duplicate ? { duplicate_of: duplicate.of } : {}) });
      if (duplicate.duplicate) {
        progress.drop(`duplicate_${duplicate.kind}`);
        progress.count('duplicates_removed');
        skip(context, 1, [formatStage, validateStage]);
        continue;
      }
      yield candidate;
    }
  }
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
  const rendered = services.prompts.render(cascadeTemplates.expand, { domain: input });
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

/** train.jsonl and golden_test_set.jsonl from the validated file, once every approval is known. */
async function writeSplit(dir: string, approved: ApprovedPair[], fraction: number, context: RunContext<CascadeParams>) {
  const split = splitGolden(approved, fraction);
  const trainFile = await JsonlAppender.fresh(dir, cascadeFiles.train);
  const goldenFile = await JsonlAppender.fresh(dir, cascadeFiles.golden);
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
