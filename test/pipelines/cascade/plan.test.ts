import { describe, expect, it } from 'vitest';
import { coveragePlan, matchSlots, reaskBatch } from '../../../src/pipelines/cascade/plan.js';
import type { DomainTemplate } from '../../../src/pipelines/cascade/domains.js';

const template: DomainTemplate = {
  name: 'test',
  title: 'Test',
  description: '',
  topics: [
    { name: 'A', subtopics: ['a1', 'a2', 'a3'] },
    { name: 'B', subtopics: ['b1', 'b2'] },
    { name: 'C', subtopics: ['c1'] },
  ],
  personas: ['p1', 'p2', 'p3', 'p4', 'p5'],
  task_types: ['t1', 't2', 't3', 't4', 't5', 't6'],
  difficulty_mix: { easy: 0.3, medium: 0.45, hard: 0.25 },
  style: '',
  safety: '',
};

const slotsOf = (plan: ReturnType<typeof coveragePlan>) => plan.batches.flatMap((batch) => batch.slots.map((slot) => ({ ...slot, subtopic: batch.subtopic, topic: batch.topic })));

describe('coveragePlan', () => {
  it('spreads the samples evenly over every subtopic, in calls of at most pairs_per_call about one subtopic', () => {
    const plan = coveragePlan(template, 605, 8);
    const slots = slotsOf(plan);
    expect(slots.length).toBe(605);
    const perSubtopic = new Map<string, number>();
    for (const slot of slots) perSubtopic.set(slot.subtopic, (perSubtopic.get(slot.subtopic) ?? 0) + 1);
    expect([...perSubtopic.keys()].sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'c1']);
    expect(Math.max(...perSubtopic.values()) - Math.min(...perSubtopic.values())).toBeLessThanOrEqual(1);
    for (const batch of plan.batches) {
      expect(batch.slots.length).toBeGreaterThan(0);
      expect(batch.slots.length).toBeLessThanOrEqual(8);
      expect(batch.slots.map((slot) => slot.slot)).toEqual(batch.slots.map((_, i) => i + 1));
    }
    expect(plan.batches.map((batch) => batch.index)).toEqual(plan.batches.map((_, i) => i));
  });

  it('holds the difficulty mix overall and within each subtopic', () => {
    const plan = coveragePlan(template, 1200, 8);
    expect(plan.byDifficulty).toEqual({ easy: 360, medium: 540, hard: 300 });
    const slots = slotsOf(plan).filter((slot) => slot.subtopic === 'b2');
    const hard = slots.filter((slot) => slot.difficulty === 'hard').length / slots.length;
    expect(hard).toBeGreaterThan(0.2);
    expect(hard).toBeLessThan(0.3);
  });

  it('gives each subtopic every task type and persona combination before repeating one', () => {
    const plan = coveragePlan(template, 6 * 30, 10);
    const slots = slotsOf(plan).filter((slot) => slot.subtopic === 'a2');
    expect(slots.length).toBe(30);
    expect(new Set(slots.map((slot) => `${slot.task_type}|${slot.persona}`)).size).toBe(30);
  });

  it('covers every topic first when there are fewer samples than subtopics, and is deterministic', () => {
    const plan = coveragePlan(template, 3, 8);
    expect(new Set(plan.batches.map((batch) => batch.topic))).toEqual(new Set(['A', 'B', 'C']));
    expect(plan.subtopicsCovered).toBe(3);
    expect(coveragePlan(template, 77, 5)).toEqual(coveragePlan(template, 77, 5));
    const keys = coveragePlan(template, 400, 8).batches.map((batch) => batch.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('sends calls part by part across subtopics, so an early stop still covers the tree', () => {
    const plan = coveragePlan(template, 480, 8);
    expect(new Set(plan.batches.slice(0, 6).map((batch) => batch.subtopic)).size).toBe(6);
    expect(plan.batches.slice(0, 6).every((batch) => batch.part === 1)).toBe(true);
  });

  it('matches answers to slots by number, fills unnumbered ones in order and counts extras', () => {
    const batch = coveragePlan(template, 6 * 4, 4).batches[0]!;
    const { matched, extra } = matchSlots(batch, [{ slot: 3 }, { slot: 3 }, { slot: 99 }, { slot: 1 }, { slot: 0 }, { slot: 7 }]);
    expect(matched.map((m) => m.slot.slot)).toEqual([1, 2, 3, 4]);
    expect(matched[2]!.pair).toEqual({ slot: 3 });
    expect(extra).toBe(2);
  });
});

describe('fresh slots after a plan, and re-asks', () => {
  it('continues each subtopic where the earlier plan stopped: together they are the larger plan, with new call numbers and keys', () => {
    const first = coveragePlan(template, 100, 8);
    const more = coveragePlan(template, 60, 8, { samples: 100, calls: first.batches.length });
    const whole = coveragePlan(template, 160, 8);
    const tuples = (plans: ReturnType<typeof coveragePlan>[]) => plans.flatMap(slotsOf).map(({ slot: _, ...rest }) => JSON.stringify(rest)).sort();
    expect(tuples([first, more])).toEqual(tuples([whole]));
    expect(more.pairs).toBe(60);
    expect(more.batches[0]!.index).toBe(first.batches.length);
    const keys = [...first.batches, ...more.batches].map((batch) => batch.key);
    expect(new Set(keys).size).toBe(keys.length);
    // The new calls on a subtopic number on from the earlier ones.
    const firstParts = first.batches.filter((batch) => batch.subtopic === 'a1').map((batch) => batch.part);
    expect(Math.min(...more.batches.filter((batch) => batch.subtopic === 'a1').map((batch) => batch.part))).toBe(Math.max(...firstParts) + 1);
  });

  it('re-asks the missing slots of a call under a new key per round, keeping their numbers', () => {
    const batch = coveragePlan(template, 48, 8).batches[0]!;
    const missing = batch.slots.filter((slot) => slot.slot % 2 === 0);
    const once = reaskBatch(batch, missing, 1);
    const twice = reaskBatch(batch, missing, 2);
    expect(once.slots.map((slot) => slot.slot)).toEqual(missing.map((slot) => slot.slot));
    expect(once).toMatchObject({ index: batch.index, subtopic: batch.subtopic, round: 1 });
    expect(new Set([batch.key, once.key, twice.key]).size).toBe(3);
  });
});
