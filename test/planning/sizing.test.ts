import { describe, expect, it } from 'vitest';
import { largestThatFits, roundSize, type PlannedRun } from '../../src/planning/candidates.js';
import { offPeakHigh, offPeakRatio } from '../../src/planning/off-peak.js';
import { tierFor } from '../../src/planning/tiers.js';
import { PriceTable } from '../../src/llm/prices.js';

/** A run whose cost is linear in samples, or a little more than linear when `growth` is set. */
function linearRun(perSample: number, growth = 0) {
  const made: number[] = [];
  const make = (samples: number): PlannedRun => {
    made.push(samples);
    const high = perSample * samples * (1 + growth * samples);
    const costUsd = { low: high / 3, expected: high / 2, high };
    return { kind: 'cascade', label: `x${samples}`, tool: 'start_cascade', arguments: { samples }, mode: 'live', costUsd, liveCostUsd: costUsd, batchCostUsd: costUsd, offPeakHighUsd: high, approvedPairs: samples, rawPairs: samples, size: samples, basis: '', calibration: null };
  };
  return { make, made };
}

describe('sizing a run to the money left', () => {
  it('rounds sizes down to two significant figures', () => {
    expect(roundSize(61_874)).toBe(61_000);
    expect(roundSize(1_999)).toBe(1_900);
    expect(roundSize(100)).toBe(100);
    expect(roundSize(57.9)).toBe(57);
  });

  it('scales from the reference estimate and returns a size whose verified high end fits', async () => {
    const { make, made } = linearRun(0.001);
    const run = await largestThatFits(make, { reference: 1000, min: 100, max: 200_000, moneyUsd: 50 });
    expect(run?.size).toBe(49_000);
    expect(run!.costUsd.high).toBeLessThanOrEqual(50);
    expect(made).toEqual([1000, 49_000]);
  });

  it('shrinks again when the verification comes out above the money', async () => {
    // Cost per sample grows with size, so scaling from 1,000 samples overshoots.
    const { make, made } = linearRun(0.001, 1e-5);
    const run = await largestThatFits(make, { reference: 1000, min: 100, max: 200_000, moneyUsd: 30 });
    expect(run!.costUsd.high).toBeLessThanOrEqual(30);
    expect(made.length).toBeGreaterThan(2);
  });

  it('stops at the maximum and gives nothing when even the minimum does not fit', async () => {
    expect((await largestThatFits(linearRun(0.001).make, { reference: 1000, min: 100, max: 5000, moneyUsd: 1000 }))?.size).toBe(5000);
    expect(await largestThatFits(linearRun(0.001).make, { reference: 1000, min: 100, max: 5000, moneyUsd: 0.05 })).toBeUndefined();
  });
});

describe('tiers and off-peak prices', () => {
  it('picks the seed tier by budget', () => {
    expect(tierFor(10).name).toBe('$25');
    expect(tierFor(25).name).toBe('$25');
    expect(tierFor(49.99).name).toBe('$25');
    expect(tierFor(50).name).toBe('$50');
    expect(tierFor(100).name).toBe('$100');
    expect(tierFor(199).name).toBe('$100');
    expect(tierFor(200).name).toBe('$200+');
    expect(tierFor(5000)).toMatchObject({ name: '$200+', documents: 2, stageAOnly: false });
    expect(tierFor(25)).toMatchObject({ documents: 1, stageAOnly: true, ensembleShare: 0 });
  });

  it('halves DeepSeek at off-peak rates and leaves a model without peak hours alone', () => {
    const prices = PriceTable.load();
    const deepseek = prices.require('deepseek', 'deepseek-v4-flash');
    const haiku = prices.require('anthropic', 'claude-haiku-5-5');
    expect(offPeakRatio([deepseek])).toBeCloseTo(0.5, 12);
    expect(offPeakRatio([haiku])).toBe(1);
    expect(offPeakHigh([[2, [deepseek]], [1, [haiku]]])).toBeCloseTo(2, 12);
    const mixed = offPeakRatio([deepseek, haiku]);
    expect(mixed).toBeGreaterThan(0.5);
    expect(mixed).toBeLessThan(1);
  });
});
