/**
 * The budget tiers ($25, $50, $100, $200+) as concrete plans when no goals are given: the tier says how
 * many of the user's documents to distill and which kinds of run to add; the cascade (and, from
 * $200, an ensemble) is sized to the money left, so the plan uses the month without passing it.
 */
import { DistilleryError } from '../errors.js';
import { usd } from '../util/format.js';
import { allowedDocuments, cascadeRun, documentRun, ensembleRun, largestThatFits, type PlannedRun } from './candidates.js';
import { cheaperOptions } from './cheaper.js';
import type { PlanDraft } from './draft.js';

export interface Tier {
  name: '$25' | '$50' | '$100' | '$200+';
  /** The seed's words for the tier. */
  guide: string;
  documents: number;
  stageAOnly: boolean;
  /** Share of the money after documents that goes to an ensemble. */
  ensembleShare: number;
}

const tiers: Tier[] = [
  { name: '$200+', guide: 'cascade, distillations and ensembles too', documents: 2, stageAOnly: false, ensembleShare: 1 / 3 },
  { name: '$100', guide: 'a cascade and two distillations, with the reserve kept', documents: 2, stageAOnly: false, ensembleShare: 0 },
  { name: '$50', guide: 'a full cascade or two documents', documents: 2, stageAOnly: false, ensembleShare: 0 },
  { name: '$25', guide: 'a stage-A-only cascade or one document', documents: 1, stageAOnly: true, ensembleShare: 0 },
];
const tierFloor: Record<Tier['name'], number> = { '$200+': 200, $100: 100, $50: 50, $25: 0 };

/** The seed's reference sizes: documents are read from the roots, at most this many considered. */
const reference = { cascadeSamples: 10_000, minCascade: 100, maxCascade: 200_000, minEnsemble: 20, maxEnsemble: 100_000, documentsConsidered: 20 };

export function tierFor(budgetUsd: number): Tier {
  return tiers.find((tier) => budgetUsd >= tierFloor[tier.name]) ?? tiers[tiers.length - 1]!;
}

export async function tierPlan(draft: PlanDraft, budgetUsd: number): Promise<Tier> {
  const tier = tierFor(budgetUsd);
  const { context } = draft;
  const guarded = async <T>(goal: string, work: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof DistilleryError)) throw error;
      draft.skipped.push({ goal, reason: error.message });
      return undefined;
    }
  };

  // The user's own documents first: the most approved pairs per dollar.
  const names = (await guarded('documents in the allowed folders', () => allowedDocuments(context, reference.documentsConsidered))) ?? [];
  const documents: PlannedRun[] = [];
  for (const name of names) {
    const run = await guarded(`document ${name}`, () => documentRun(context, name));
    if (run) documents.push(run);
  }
  documents.sort((a, b) => b.approvedPairs - a.approvedPairs);
  let chosen = 0;
  for (const run of documents) {
    if (chosen < tier.documents && run.costUsd.high <= draft.leftUsd) {
      draft.runs.push(run);
      draft.leftUsd -= run.costUsd.high;
      chosen++;
    } else if (chosen >= tier.documents) {
      draft.leftOut.push({ run, reason: `the ${tier.name} tier plans ${tier.documents} document${tier.documents === 1 ? '' : 's'}; adding it takes up to ${usd(run.costUsd.high)} from the cascade`, options: [] });
    } else {
      draft.leftOut.push({ run, reason: `needs up to ${usd(run.costUsd.high)} at the high end, but ${usd(draft.leftUsd)} is left`, options: await cheaperOptions(context, { kind: 'distill', path: run.label }, run, draft.leftUsd) });
    }
  }

  await guarded('a general cascade', async () => {
    const money = draft.leftUsd * (1 - tier.ensembleShare);
    const make = (samples: number) => cascadeRun(context, 'general', samples, tier.stageAOnly);
    const cascade = await largestThatFits(make, { reference: 1000, min: reference.minCascade, max: reference.maxCascade, moneyUsd: money });
    if (cascade) {
      draft.runs.push(cascade);
      draft.leftUsd = Math.max(0, draft.leftUsd - cascade.costUsd.high);
      if (cascade.size! < reference.cascadeSamples) {
        const full = make(reference.cascadeSamples);
        draft.leftOut.push({ run: full, reason: `the seed's reference cascade of 10,000 samples needs up to ${usd(full.costUsd.high)}; ${cascade.size!.toLocaleString('en-US')} samples fit in the money left`, options: [] });
      }
    } else {
      const smallest = make(reference.minCascade);
      draft.leftOut.push({
        run: smallest,
        reason: `even ${reference.minCascade} samples need up to ${usd(smallest.costUsd.high)}, but ${usd(money)} is left`,
        options: await cheaperOptions(context, { kind: 'cascade', domain: 'general', samples: reference.minCascade, stageAOnly: tier.stageAOnly }, smallest, money),
      });
    }
  });

  if (tier.ensembleShare > 0) {
    await guarded('an ensemble', async () => {
      const make = (samples: number) => ensembleRun(context, samples, { domain: 'general' });
      const ensemble = await largestThatFits(make, { reference: 100, min: reference.minEnsemble, max: reference.maxEnsemble, moneyUsd: draft.leftUsd });
      if (ensemble) {
        draft.runs.push(ensemble);
        draft.leftUsd = Math.max(0, draft.leftUsd - ensemble.costUsd.high);
      } else {
        const smallest = await make(reference.minEnsemble);
        draft.leftOut.push({ run: smallest, reason: `even ${reference.minEnsemble} prompts need up to ${usd(smallest.costUsd.high)}, but ${usd(draft.leftUsd)} is left`, options: [] });
      }
    });
  }
  return tier;
}
