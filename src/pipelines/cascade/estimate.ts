/**
 * What a cascade will cost before anything is spent: token counts of the real stage-A prompts of
 * the plan, and of the stage-B and stage-C prompts around an assumed pair, times the price table.
 * Works with no API keys.
 */
import type { Services } from '../../services.js';
import type { ResolvedTarget } from '../../llm/client.js';
import { schemaInstruction } from '../../llm/structured.js';
import { estimateTokens, promptTokenMargin } from '../../llm/tokens.js';
import type { DomainTemplate } from './domains.js';
import type { CoveragePlan } from './plan.js';
import { cascadeVerdictSchema, expandedDomainSchema, formattedSchema, generationSchema } from './schemas.js';
import { formatValues, generateValues, validateValues } from './template-values.js';
import { addCallCost, offPeakMoment, peakMoment, zeroRange, type CostRange } from '../cost-range.js';

/** Assumed sizes of what the models write, in tokens, and the shares of the funnel. */
export const assumed = {
  rawPairOutput: 260,
  rawPairText: 240,
  formattedOutput: 330,
  formattedText: 320,
  verdictOutput: 90,
  expandOutput: 1500,
  duplicateShare: 0.03,
  usableShare: 0.96,
  approval: 0.8,
  retryShare: { expected: 0.05, high: 0.2 },
};

export type { CostRange };

/** Share of raw pairs expected to end in train or golden when no past run has measured it. */
export const assumedApprovalRate = (1 - assumed.duplicateShare) * assumed.usableShare * assumed.approval;

type Stage = 'expand' | 'generate' | 'format' | 'validate';

export interface CascadeEstimate {
  samples: number;
  calls: Record<Stage, number> & { total: number };
  tokens: { input: number; output: number };
  costUsd: CostRange;
  /** The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek. */
  costBatchUsd: CostRange;
  costByStageUsd: Record<Stage, CostRange>;
  expected: { rawPairs: number; approved: number; golden: number; train: number };
  models: Record<'generate' | 'format' | 'validate', string>;
  basis: string;
}

export interface EstimateOptions {
  stageAOnly: boolean;
  goldenFraction: number;
  /** A free-text domain is expanded by one extra generate call. */
  expand: boolean;
  /** Measured share of raw pairs approved, when known: the expected approved count follows it. */
  approvalRate?: number;
}

export function estimateCascade(services: Services, template: DomainTemplate, plan: CoveragePlan, options: EstimateOptions): CascadeEstimate {
  const { llm, prompts } = services;
  const targets = { generate: llm.resolve('generate'), format: llm.resolve('format'), validate: llm.resolve('validate') };
  const byStage: Record<Stage, CostRange> = { expand: zeroRange(), generate: zeroRange(), format: zeroRange(), validate: zeroRange() };
  const calls: Record<Stage, number> = { expand: 0, generate: 0, format: 0, validate: 0 };
  const tokens = { input: 0, output: 0 };
  const batch = zeroRange();
  const price = (stage: Stage, target: ResolvedTarget, system: number, user: number, output: number, times: number) => {
    if (times <= 0) return;
    const input = Math.ceil((system + user) * promptTokenMargin(target.provider.name));
    const cachedSystem = Math.min(input, Math.ceil(system * promptTokenMargin(target.provider.name)));
    addCallCost(byStage[stage], batch, target, { input, cached: cachedSystem, output, times }, assumed.retryShare);
    calls[stage] += times;
    tokens.input += times * input;
    tokens.output += times * output;
  };
  const systemTokens = (name: string, values: Record<string, string | number>, schema: Parameters<typeof schemaInstruction>[0]) =>
    estimateTokens(prompts.render(name, values).system) + estimateTokens(schemaInstruction(schema));

  if (options.expand) {
    const rendered = prompts.render('cascade/expand-domain', { domain: template.name });
    price('expand', targets.generate, estimateTokens(rendered.system) + estimateTokens(schemaInstruction(expandedDomainSchema)), estimateTokens(rendered.prompt), assumed.expandOutput, 1);
  }
  const generateSystem = systemTokens('cascade/generate', generateValues(template, plan.batches[0]!), generationSchema);
  for (const batch of plan.batches) {
    const user = estimateTokens(prompts.render('cascade/generate', generateValues(template, batch)).prompt);
    price('generate', targets.generate, generateSystem, user, batch.slots.length * assumed.rawPairOutput, 1);
  }
  const rawPairs = plan.pairs;
  const formatted = Math.round(rawPairs * (1 - assumed.duplicateShare));
  const judged = Math.round(formatted * assumed.usableShare);
  const approved = options.approvalRate !== undefined ? Math.round(rawPairs * options.approvalRate) : Math.round(judged * assumed.approval);
  if (!options.stageAOnly) {
    // One representative slot per subtopic call: the B and C prompts differ only in short labels.
    const first = plan.batches[0]!;
    const formatSystem = systemTokens('cascade/format', formatValues(template, first, first.slots[0]!, '', ''), formattedSchema);
    const validateSystem = systemTokens('cascade/validate', validateValues(template, first, first.slots[0]!, { instruction: '', input: '', output: '', reasoning: '' }), cascadeVerdictSchema);
    const share = formatted / rawPairs;
    // Counted once per subtopic: within one, the prompts differ only in a task type and a difficulty.
    const userTokens = new Map<string, { format: number; validate: number }>();
    for (const batch of plan.batches) {
      const slot = batch.slots[0]!;
      let user = userTokens.get(batch.subtopic);
      if (!user) {
        user = {
          format: estimateTokens(prompts.render('cascade/format', formatValues(template, batch, slot, '', '')).prompt) + assumed.rawPairText,
          validate: estimateTokens(prompts.render('cascade/validate', validateValues(template, batch, slot, { instruction: '', input: '', output: '', reasoning: '' })).prompt) + assumed.formattedText,
        };
        userTokens.set(batch.subtopic, user);
      }
      const times = batch.slots.length * share;
      price('format', targets.format, formatSystem, user.format, assumed.formattedOutput, times);
      price('validate', targets.validate, validateSystem, user.validate, assumed.verdictOutput, times * assumed.usableShare);
    }
  }
  const sum = (key: keyof CostRange) => Object.values(byStage).reduce((total, range) => total + range[key], 0);
  const golden = options.stageAOnly ? 0 : Math.round(approved * options.goldenFraction);
  const rounded = Object.fromEntries(Object.entries(calls).map(([stage, n]) => [stage, Math.round(n)])) as Record<Stage, number>;
  return {
    samples: rawPairs,
    calls: { ...rounded, total: Object.values(rounded).reduce((a, b) => a + b, 0) },
    tokens: { input: Math.round(tokens.input), output: Math.round(tokens.output) },
    costUsd: { low: sum('low'), expected: sum('expected'), high: sum('high') },
    costBatchUsd: batch,
    costByStageUsd: byStage,
    expected: { rawPairs, approved: options.stageAOnly ? 0 : approved, golden, train: options.stageAOnly ? 0 : approved - golden },
    models: {
      generate: `${targets.generate.provider.name}/${targets.generate.model}`,
      format: `${targets.format.provider.name}/${targets.format.model}`,
      validate: `${targets.validate.provider.name}/${targets.validate.model}`,
    },
    basis:
      `token counts of the ${plan.batches.length} stage-A prompts of the plan and of the stage-B/C prompts, times the price table (${targets.generate.price.as_of}); ` +
      `answers assumed at ${assumed.rawPairOutput} tokens a raw pair, ${assumed.formattedOutput} a formatted one; ${Math.round(assumed.duplicateShare * 100)}% duplicates, ` +
      `${Math.round(assumed.usableShare * 100)}% usable, ${Math.round(assumed.approval * 100)}% approved` +
      (options.expand ? '; a free-text domain is estimated at 8 topics of 5 subtopics until it is expanded' : ''),
  };
}
