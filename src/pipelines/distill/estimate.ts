/**
 * What a distillation will cost, before spending anything: token counts of the real chunks and
 * prompts times the price table. Works with no API keys.
 */
import type { Services } from '../../services.js';
import { estimateTokens, promptTokenMargin } from '../../llm/tokens.js';
import type { Chunk } from './chunker.js';
import { addCallCost, zeroRange, type CostRange } from '../cost-range.js';

/** Assumed sizes of what the models write, in tokens, and the share of retries and re-asks. */
const assumed = { outputPerPair: 220, verdictOutput: 90, pairText: 260, retryShare: { expected: 0.05, high: 0.2 }, approval: 0.8 };

export type { CostRange };

export interface DistillEstimate {
  chunks: number;
  pairs: number;
  calls: { generate: number; validate: number; total: number };
  tokens: { input: number; output: number };
  costUsd: CostRange;
  /** The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek. */
  costBatchUsd: CostRange;
  costByStageUsd: Record<'generate' | 'validate', CostRange>;
  expectedApprovedPairs: number;
  models: Record<'generate' | 'validate', string>;
  basis: string;
}

export function defaultPairsPerChunk(chunkTokens: number): number {
  return Math.max(1, Math.min(8, Math.round(chunkTokens / 250)));
}

export function estimateDistill(services: Services, chunks: Chunk[], pairsPerChunk: number | undefined): DistillEstimate {
  const generate = services.llm.resolve('generate');
  const validate = services.llm.resolve('validate');
  const generateSystem = estimateTokens(services.prompts.template('distill/generate').system);
  const validateSystem = estimateTokens(services.prompts.template('distill/validate').system);
  const byStage = { generate: zeroRange(), validate: zeroRange() };
  const tokens = { input: 0, output: 0 };
  const batch = zeroRange();
  let pairs = 0;
  let calls = 0;
  // Priced call by call: long-context surcharges apply per request, not to a run's total.
  const price = (stage: CostRange, target: typeof generate, system: number, input: number, output: number, times: number) => {
    const cached = calls++ > 0 ? Math.min(system, input) : 0;
    addCallCost(stage, batch, target, { input, cached, output, times }, assumed.retryShare);
    tokens.input += times * input;
    tokens.output += times * output;
  };
  for (const chunk of chunks) {
    const n = pairsPerChunk ?? defaultPairsPerChunk(chunk.tokens);
    pairs += n;
    const generateInput = Math.ceil((generateSystem + chunk.tokens + 40) * promptTokenMargin(generate.provider.name));
    price(byStage.generate, generate, generateSystem, generateInput, n * assumed.outputPerPair, 1);
    const validateInput = Math.ceil((validateSystem + chunk.tokens + assumed.pairText) * promptTokenMargin(validate.provider.name));
    price(byStage.validate, validate, validateSystem, validateInput, assumed.verdictOutput, n);
  }
  const sum = (key: keyof CostRange) => byStage.generate[key] + byStage.validate[key];
  return {
    chunks: chunks.length,
    pairs,
    calls: { generate: chunks.length, validate: pairs, total: chunks.length + pairs },
    tokens,
    costUsd: { low: sum('low'), expected: sum('expected'), high: sum('high') },
    costBatchUsd: batch,
    costByStageUsd: byStage,
    expectedApprovedPairs: Math.round(pairs * assumed.approval),
    models: { generate: `${generate.provider.name}/${generate.model}`, validate: `${validate.provider.name}/${validate.model}` },
    basis: `token counts of the document's ${chunks.length} chunks and the prompts, times the price table (${generate.price.as_of}); outputs assumed at ${assumed.outputPerPair} tokens a pair`,
  };
}
