import { describe, expect, it } from 'vitest';
import { chooseGolden, splitGolden, type ApprovedPair } from '../../../src/pipelines/cascade/golden.js';

const words = ['river', 'engine', 'salt', 'harvest', 'signal', 'copper', 'lantern', 'meadow', 'orbit', 'quartz', 'thunder', 'violet'];
function pairs(count: number): ApprovedPair[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `p${i}`,
    topic: ['T1', 'T2', 'T3'][i % 3]!,
    difficulty: ['easy', 'medium', 'hard'][Math.floor(i / 3) % 3]!,
    overall: 7 + (i % 7) / 2,
    instruction: `Question ${i}: how do ${words[i % 12]} and ${words[(i * 5 + 1) % 12]} relate to ${words[(i * 7 + 2) % 12]} number ${i}?`,
  }));
}

describe('golden split', () => {
  it('takes golden_fraction of the approved pairs, spread over every topic and difficulty', () => {
    const approved = pairs(450);
    const { golden, target } = chooseGolden(approved, 0.1);
    expect(target).toBe(45);
    expect(golden.size).toBe(45);
    const chosen = approved.filter((pair) => golden.has(pair.id));
    for (const topic of ['T1', 'T2', 'T3']) {
      for (const difficulty of ['easy', 'medium', 'hard']) {
        expect(chosen.filter((pair) => pair.topic === topic && pair.difficulty === difficulty).length).toBe(5);
      }
    }
  });

  it('picks the best scores within each stratum', () => {
    const approved = pairs(450);
    const { golden } = chooseGolden(approved, 0.1);
    for (const pair of approved.filter((p) => golden.has(p.id))) {
      const better = approved.filter((other) => !golden.has(other.id) && other.topic === pair.topic && other.difficulty === pair.difficulty && other.overall > pair.overall);
      expect(better).toEqual([]);
    }
  });

  it('drops from train every pair that is a near-duplicate or an exact copy of a golden pair', () => {
    const approved = pairs(90);
    const { golden } = chooseGolden(approved, 0.1);
    const goldenPair = approved.find((pair) => golden.has(pair.id))!;
    const copies: ApprovedPair[] = [
      { ...goldenPair, id: 'copy-exact', overall: 1, instruction: goldenPair.instruction.toUpperCase() },
      { ...goldenPair, id: 'copy-near', overall: 1, instruction: `${goldenPair.instruction} Please be brief` },
    ];
    const split = splitGolden([...approved, ...copies], 0.1);
    expect(split.golden.has('copy-exact')).toBe(false);
    expect(split.leaked.get('copy-exact')).toBeDefined();
    expect(split.leaked.get('copy-near')).toBeDefined();
    expect(split.leaked.size).toBe(2);
  });

  it('chooses the same set whatever the order the approvals arrived in', () => {
    const approved = pairs(200);
    const forward = chooseGolden(approved, 0.09).golden;
    const backward = chooseGolden([...approved].reverse(), 0.09).golden;
    expect([...backward].sort()).toEqual([...forward].sort());
  });
});
