/**
 * Stage A with re-asks: the plan's calls, then new calls for the slots they left unanswered (fewer
 * pairs than asked, or a call that failed after its retries), round after round, until every slot
 * is answered or the rounds run out. Each round follows from the journaled answers of the one
 * before, and each re-ask has its own journal key, so a resumed run asks exactly what an
 * uninterrupted one would.
 */
import { mapOrdered } from '../../util/concurrent.js';
import type { RunContext } from '../engine.js';
import type { DomainTemplate } from './domains.js';
import { cascadeStages, type CascadeParams } from './params.js';
import { matchSlots, reaskBatch, type PlanBatch, type PlanSlot } from './plan.js';
import { cascadeTemplates, generateValues } from './template-values.js';
import { answered } from '../stage-outcome.js';
import { generationSchema, type RawPair } from './schemas.js';

/** Times a slot is asked again after its first call: enough for a generator that skips a few, bounded for one that never answers. */
export const reaskRounds = 5;
/** Stage-A calls in flight: each brings several pairs, so a few keep stages B and C busy. */
const generateWindow = 16;
const stage = cascadeStages.generate;

export interface StageAResult {
  batch: PlanBatch;
  pairs: { slot: PlanSlot; pair: RawPair }[];
}

/** Slots still unanswered after the last round, by the reason of their last ask ('unanswered' or the call's failure). */
export interface Unanswered {
  slots: number;
  reasons: Record<string, number>;
}

interface Asked extends StageAResult {
  missing: PlanSlot[];
  reason: string;
}

export async function* generateWithReasks(context: RunContext<CascadeParams>, template: DomainTemplate, batches: PlanBatch[], onUnanswered: (left: Unanswered) => void): AsyncGenerator<StageAResult> {
  const { progress } = context;
  let round = batches;
  for (let number = 0; round.length > 0; number++) {
    progress.addTotal(stage, round.length);
    const missing: Asked[] = [];
    for await (const asked of mapOrdered(round, context.window(stage, 'generate', generateWindow), (batch) => ask(context, template, batch), context.shouldStop)) {
      if (asked.missing.length > 0) missing.push(asked);
      yield { batch: asked.batch, pairs: asked.pairs };
    }
    if (context.shouldStop()) return;
    if (number === reaskRounds) {
      const reasons: Record<string, number> = {};
      for (const { missing: slots, reason } of missing) reasons[reason] = (reasons[reason] ?? 0) + slots.length;
      const slots = missing.reduce((sum, asked) => sum + asked.missing.length, 0);
      if (slots > 0) onUnanswered({ slots, reasons });
      return;
    }
    round = missing.map((asked) => reaskBatch(asked.batch, asked.missing, number + 1));
    if (round.length > 0) progress.count('stage_a_reasked', round.reduce((sum, batch) => sum + batch.slots.length, 0));
  }
}

async function ask(context: RunContext<CascadeParams>, template: DomainTemplate, batch: PlanBatch): Promise<Asked> {
  const { progress, services } = context;
  const rendered = services.prompts.render(cascadeTemplates.generate, generateValues(template, batch));
  const outcome = await context.call({ stage, role: 'generate', sampleKey: `a-${batch.index}-${batch.key}`, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: generationSchema, schemaName: 'raw_pairs', maxOutputTokens: Math.max(1024, batch.slots.length * 500) });
  if (!answered(context, stage, outcome, `call ${batch.index}${batch.round ? ` (re-ask ${batch.round})` : ''} (${batch.subtopic})`)) return { batch, pairs: [], missing: batch.slots, reason: outcome.reason };
  const { matched, extra } = matchSlots(batch, outcome.value.pairs);
  if (extra > 0) progress.drop('stage_a_over_requested', extra);
  const filled = new Set(matched.map(({ slot }) => slot.slot));
  return { batch, pairs: matched, missing: batch.slots.filter((slot) => !filled.has(slot.slot)), reason: 'unanswered' };
}
