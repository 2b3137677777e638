/**
 * Everything before a cascade spends money: resolve the domain (template or free text), build the
 * coverage plan, estimate the cost, make sure the providers are configured and the budget covers
 * it, then start the run.
 */
import { z } from 'zod';
import { defaultMinScore } from '../pipelines/judging.js';
import { defaultGoldenFraction } from '../pipelines/cascade/golden.js';
import type { RunRecord } from '../store/catalog.js';
import type { Services } from '../services.js';
import type { RunEngine } from '../pipelines/engine.js';
import { closestDomain, listDomains, provisionalTemplate, resolveDomain, subtopicCount, type DomainKind } from '../pipelines/cascade/domains.js';
import type { CalibratedCascadeEstimate } from '../planning/calibration.js';
import { loadHistory } from '../planning/history.js';
import { sizeCascade, type ApprovalRate } from '../planning/cascade-sizing.js';
import { InputError } from '../errors.js';
import { defaultPairsPerCall } from '../pipelines/cascade/plan.js';
import { cascadeTargets } from '../pipelines/cascade/target.js';
import type { CascadeParams } from '../pipelines/cascade/params.js';
import { checkRunFits } from './budget-fit.js';
import { costForMode, runModeInput, runModeParams } from '../pipelines/run-mode.js';


export const cascadeInput = z.object({
  domain: z.string().max(2000).describe('A domain template name (medical, legal, finance, software_engineering, customer_support, education, general, or a user template in DISTILLERY_HOME/domains) or a short free-text description such as "veterinary dermatology", which the first call expands into a topic tree.'),
  samples: z.int().min(1).max(200_000).describe('Raw pairs to ask of stage A (the seed: 10,000; about 75% usually end approved), or with target "approved" the approved pairs (train plus golden) to end with.'),
  target: z.enum(cascadeTargets).optional().describe('What samples counts: "generated" (default) raw pairs, every slot of the plan answered (unanswered ones are asked again); "approved" pairs in train plus golden, planning fresh slots at the measured approval rate until that many are approved or max_usd stops it.'),
  golden_fraction: z.number().min(0).max(0.5).optional().describe(`Share of approved pairs held out as the golden test set, stratified by topic and difficulty, best scores first (default ${defaultGoldenFraction}).`),
  stage_a_only: z.boolean().optional().describe('Only generate raw pairs (stage A), the cheapest tier: no formatting, validation, train or golden files.'),
  pairs_per_call: z.int().min(1).max(20).optional().describe(`Pairs stage A writes per call (default ${defaultPairsPerCall}); more saves input tokens.`),
  min_score: z.number().min(0).max(10).optional().describe(`Approve a pair when the judge scores it at least this, of 10 (default ${defaultMinScore}).`),
  max_usd: z.number().positive().max(100_000).optional().describe('Hard cap for this run in US dollars; the run pauses instead of going over.'),
  dry_run: z.boolean().optional().describe('Only estimate calls, tokens and cost; spend nothing. Works without API keys.'),
  ...runModeInput,
});
export type CascadeInput = z.infer<typeof cascadeInput>;

export interface CascadeDomainView {
  input: string;
  kind: DomainKind;
  name: string;
  title: string;
  topics: number;
  subtopics: number;
  personas: number;
  task_types: number;
}

export interface CascadeStartOutcome {
  run?: RunRecord;
  dryRun: boolean;
  domain: CascadeDomainView;
  plan: { calls: number; pairsPerCall: number; subtopicsCovered: number; byDifficulty: Record<string, number> };
  estimate: CalibratedCascadeEstimate;
  /** Target "approved": the approval rate the plan was sized with. */
  approval: ApprovalRate | null;
  availableUsd: number;
  warnings: string[];
}

export async function startCascade(services: Services, engine: RunEngine, input: CascadeInput): Promise<CascadeStartOutcome> {
  const domain = resolveDomain(input.domain, services.config.home);
  const template = domain.template ?? provisionalTemplate(domain.input, services.config.home);
  const pairsPerCall = input.pairs_per_call ?? defaultPairsPerCall;
  const goldenFraction = input.golden_fraction ?? defaultGoldenFraction;
  const stageAOnly = !!input.stage_a_only;
  const target = input.target ?? 'generated';
  if (target === 'approved' && stageAOnly) {
    throw new InputError('target "approved" counts validated pairs, but stage_a_only: true stops before validation. Drop stage_a_only, or use target "generated" for raw pairs only.');
  }
  const sizing = sizeCascade(services, await loadHistory(services), template, { samples: input.samples, target, stageAOnly, goldenFraction, expand: domain.kind === 'free_text', pairsPerCall });
  const { plan, estimate, approval } = sizing;
  const availableUsd = services.guard.available();
  const view: CascadeDomainView = {
    input: domain.input,
    kind: domain.kind,
    name: domain.name,
    title: domain.template?.title ?? domain.input,
    topics: template.topics.length,
    subtopics: subtopicCount(template),
    personas: template.personas.length,
    task_types: template.task_types.length,
  };
  const outcome: CascadeStartOutcome = {
    dryRun: !!input.dry_run,
    domain: view,
    plan: { calls: plan.batches.length, pairsPerCall, subtopicsCovered: plan.subtopicsCovered, byDifficulty: plan.byDifficulty },
    estimate,
    approval,
    availableUsd,
    warnings: [],
  };
  if (domain.kind === 'free_text') {
    const near = closestDomain(domain.input, services.config.home);
    const templates = listDomains(services.config.home).map((entry) => entry.name).join(', ');
    outcome.warnings.push(
      `"${domain.input}" matches no template${near ? ` (did you mean ${near}?)` : ` (templates: ${templates})`}, so the run's first call expands it into a topic tree, kept in the run folder as domain.json; the plan above is provisional.`,
    );
  }
  if (domain.kind !== 'free_text' && plan.subtopicsCovered < subtopicCount(template)) {
    outcome.warnings.push(`${plan.pairs} samples cover only ${plan.subtopicsCovered} of the ${subtopicCount(template)} subtopics; ask for more samples for full coverage.`);
  }
  if (input.dry_run) return outcome;

  const roles = stageAOnly ? (['generate'] as const) : (['generate', 'format', 'validate'] as const);
  for (const role of roles) services.llm.requireKey(services.llm.resolve(role));
  checkRunFits(services, costForMode(estimate, input.mode), { availableUsd, maxUsd: input.max_usd }, { what: `a cascade of ${input.samples.toLocaleString('en-US')} ${approval ? 'approved ' : ''}${view.name} samples`, lower: `Lower samples${stageAOnly ? '' : ', use stage_a_only: true for raw pairs only'}` }, outcome.warnings);
  const params: CascadeParams = {
    domain: { input: domain.input, kind: domain.kind, name: domain.name, ...(domain.template ? { template: domain.template } : {}) },
    samples: input.samples,
    ...(approval ? { target, approval_rate: approval.rate } : {}),
    golden_fraction: goldenFraction,
    stage_a_only: stageAOnly,
    pairs_per_call: pairsPerCall,
    min_score: input.min_score ?? defaultMinScore,
    max_usd: input.max_usd,
    ...runModeParams(input),
  };
  const label = domain.kind === 'free_text' && domain.input.length > 40 ? `${domain.input.slice(0, 40)}...` : domain.name;
  outcome.run = await engine.start('cascade', `${label} x${input.samples}${approval ? ' approved' : stageAOnly ? ' stage A' : ''} ${new Date().toISOString().slice(0, 10)}`, params);
  return outcome;
}
