/**
 * The coverage plan: `samples` pairs spread evenly over the template's subtopics, each pair given a
 * task type, a difficulty (in the template's mix), a persona and an angle, then grouped into stage-A
 * calls of a few pairs about one subtopic. Diversity comes from here, not from temperature.
 * Deterministic: the same template and numbers give the same plan, so a resumed run replays it.
 */
import type { Difficulty } from '../sample.js';
import { stableKey } from '../../util/hash.js';
import type { DomainTemplate } from './domains.js';

export interface PlanSlot {
  /** 1-based position in its call, echoed back by the model. */
  slot: number;
  task_type: string;
  difficulty: Difficulty;
  persona: string;
  angle: string;
}

export interface PlanBatch {
  index: number;
  topic: string;
  subtopic: string;
  /** 1-based call number within the subtopic, and how many calls the subtopic has. */
  part: number;
  parts: number;
  slots: PlanSlot[];
  /** Content key of the call, for the journal. */
  key: string;
  /** Set on a call that asks again for slots an earlier call left unanswered: its round, from 1. */
  round?: number;
}

export interface CoveragePlan {
  batches: PlanBatch[];
  pairs: number;
  subtopicsCovered: number;
  byDifficulty: Record<Difficulty, number>;
  byTopic: Record<string, number>;
}

export const defaultPairsPerCall = 8;

/** Ways into a subtopic that keep calls about the same subtopic from writing the same questions. */
export const angles = [
  'a common misconception',
  'an edge case or exception',
  'a realistic scenario with specific details',
  'a comparison with a related idea',
  'a step-by-step procedure',
  'a why question about the underlying reason',
  'a numeric or concrete example',
  'a mistake to avoid',
  'a decision between alternatives',
  'how to explain it to someone else',
  'what changed recently or varies by context',
];

const difficulties: Difficulty[] = ['easy', 'medium', 'hard'];

/** Fresh slots after a plan of `samples` already made: each subtopic's sequence continues where it stopped. */
export interface PlanExtension {
  samples: number;
  /** Calls already planned, so batch indexes (and sample ids) stay unique across the run. */
  calls: number;
}

export function coveragePlan(template: DomainTemplate, samples: number, pairsPerCall = defaultPairsPerCall, after?: PlanExtension): CoveragePlan {
  const subtopics = interleavedSubtopics(template);
  const share = (total: number, s: number) => Math.floor(total / subtopics.length) + (s < total % subtopics.length ? 1 : 0);
  const before = subtopics.map((_, s) => share(after?.samples ?? 0, s));
  const perSubtopic = subtopics.map((_, s) => share((after?.samples ?? 0) + samples, s) - before[s]!);
  const slots: PlanSlot[][] = subtopics.map(() => []);
  // One difficulty sequence per subtopic, each at its own phase, so every subtopic holds the mix.
  const nextDifficulty = subtopics.map((_, s) => {
    const next = weightedRoundRobin(template.difficulty_mix);
    for (let skip = 0; skip < s + before[s]!; skip++) next();
    return next;
  });
  const tasks = template.task_types;
  const personas = template.personas;
  const cycle = lcm(tasks.length, personas.length);
  for (let k = 0; k < Math.max(0, ...perSubtopic); k++) {
    for (let s = 0; s < subtopics.length; s++) {
      if (k >= perSubtopic[s]!) continue;
      const j = k + before[s]!;
      // Task and persona both move every pair and together walk through every combination.
      slots[s]!.push({
        slot: 0,
        task_type: tasks[(j + s) % tasks.length]!,
        persona: personas[(j + Math.floor(j / cycle) + s) % personas.length]!,
        difficulty: nextDifficulty[s]!(),
        angle: angles[(j * 3 + s) % angles.length]!,
      });
    }
  }
  const perSubtopicBatches = subtopics.map(({ topic, subtopic }, s) => {
    const list = slots[s]!;
    const earlier = Math.ceil(before[s]! / pairsPerCall);
    const parts = Math.ceil(list.length / pairsPerCall);
    return Array.from({ length: parts }, (_, p) => {
      const batchSlots = list.slice(p * pairsPerCall, (p + 1) * pairsPerCall).map((slot, i) => ({ ...slot, slot: i + 1 }));
      return { topic, subtopic, part: earlier + p + 1, parts: earlier + parts, slots: batchSlots };
    });
  });
  // Calls go out part by part across subtopics: a run stopped early still covers the whole tree.
  const batches: PlanBatch[] = [];
  for (let p = 0; p < Math.max(0, ...perSubtopicBatches.map((list) => list.length)); p++) {
    for (const list of perSubtopicBatches) {
      const batch = list[p];
      if (batch) batches.push({ ...batch, index: (after?.calls ?? 0) + batches.length, key: stableKey(batch.topic, batch.subtopic, batch.part, batch.slots) });
    }
  }
  const byDifficulty: Record<Difficulty, number> = { easy: 0, medium: 0, hard: 0 };
  const byTopic: Record<string, number> = {};
  for (const batch of batches) {
    byTopic[batch.topic] = (byTopic[batch.topic] ?? 0) + batch.slots.length;
    for (const slot of batch.slots) byDifficulty[slot.difficulty]++;
  }
  return { batches, pairs: samples, subtopicsCovered: perSubtopic.filter((n) => n > 0).length, byDifficulty, byTopic };
}

/** A new call for the slots of `batch` that came back unanswered: same slots and numbers, its own journal key. */
export function reaskBatch(batch: PlanBatch, slots: PlanSlot[], round: number): PlanBatch {
  return { ...batch, slots, round, key: stableKey(batch.key, 'reask', round, slots.map((slot) => slot.slot)) };
}

/** Stage-A pairs matched to the slots they answer: by the slot number given, else the next free slot. */
export function matchSlots<P extends { slot: number }>(batch: PlanBatch, pairs: P[]): { matched: { slot: PlanSlot; pair: P }[]; extra: number } {
  const free = new Map(batch.slots.map((slot) => [slot.slot, slot]));
  const matched: { slot: PlanSlot; pair: P }[] = [];
  const unplaced: P[] = [];
  for (const pair of pairs) {
    const slot = free.get(pair.slot);
    if (slot) {
      free.delete(pair.slot);
      matched.push({ slot, pair });
    } else unplaced.push(pair);
  }
  let extra = 0;
  for (const pair of unplaced) {
    const next = free.values().next();
    if (next.done) extra++;
    else {
      free.delete(next.value.slot);
      matched.push({ slot: next.value, pair });
    }
  }
  return { matched: matched.sort((a, b) => a.slot.slot - b.slot.slot), extra };
}

/** Subtopics taken one from each topic in turn, so a small plan still spans every topic. */
function interleavedSubtopics(template: DomainTemplate): { topic: string; subtopic: string }[] {
  const result: { topic: string; subtopic: string }[] = [];
  const depth = Math.max(...template.topics.map((topic) => topic.subtopics.length));
  for (let r = 0; r < depth; r++) {
    for (const topic of template.topics) {
      const subtopic = topic.subtopics[r];
      if (subtopic !== undefined) result.push({ topic: topic.name, subtopic });
    }
  }
  return result;
}

/** Smooth weighted round robin: any run of pairs holds the mix as closely as whole pairs allow. */
function weightedRoundRobin(mix: Record<Difficulty, number>): () => Difficulty {
  const current: Record<Difficulty, number> = { easy: 0, medium: 0, hard: 0 };
  return () => {
    for (const difficulty of difficulties) current[difficulty] += mix[difficulty];
    let best: Difficulty = 'medium';
    for (const difficulty of difficulties) if (current[difficulty] > current[best] + 1e-12) best = difficulty;
    current[best] -= 1;
    return best;
  };
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a * b) / gcd(a, b);
}
