/**
 * What an ensemble will cost before anything is spent: token counts of the real prompts (or an
 * assumed size for generated ones) times the price table, per teacher and for the judge. No keys needed.
 */
import { estimateTokens, promptTokenMargin } from '../../llm/tokens.js';
import type { ResolvedTarget } from '../../llm/client.js';
import type { Services } from '../../services.js';
import type { EnsemblePrompt } from './inputs.js';
import { parseTeacher } from './teachers.js';
import { addCallCost, zeroRange, type CostRange } from '../cost-range.js';

/** Assumed sizes in tokens, and the share of retries and re-asks. */
export const ensembleAssumptions = {
  answerOutput: 450,
  judgeOutputBase: 450,
  judgeOutputPerAnswer: 45,
  generatedPrompt: 60,
  promptsPerBatch: 25,
  retryShare: { expected: 0.05, high: 0.2 },
  approval: 0.75,
};

export type { CostRange };

export interface EnsembleEstimate {
  prompts: number;
  teachers: string[];
  judge: string;
  calls: { prompts: number; answer: number; judge: number; total: number };
  tokens: { input: number; output: number };
  costUsd: CostRange;
  /** The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek. */
  costBatchUsd: CostRange;
  costByStageUsd: { prompts: CostRange; answer: CostRange; judge: CostRange };
  costPerSampleUsd: CostRange;
  expectedApprovedSamples: number;
  basis: string;
}

export function estimateEnsemble(services: Services, teachers: string[], prompts: EnsemblePrompt[] | { generated: number }): EnsembleEstimate {
  const judge = services.llm.resolve('judge');
  const teacherTargets = teachers.map((name) => services.llm.resolve('generate', parseTeacher(name)));
  const system = (name: string) => estimateTokens(services.prompts.template(name).system);
  const answerSystem = system('ensemble/answer');
  const judgeSystem = system('ensemble/judge');
  const byStage = { prompts: zeroRange(), answer: zeroRange(), judge: zeroRange() };
  const tokens = { input: 0, output: 0 };
  const count = { prompts: 0, answer: 0, judge: 0 };
  const batch = zeroRange();
  const price = (stage: keyof typeof byStage, target: ResolvedTarget, systemTokens: number, userTokens: number, output: number) => {
    const input = Math.ceil((systemTokens + userTokens + 30) * promptTokenMargin(target.provider.name));
    const cached = count[stage] > 0 ? Math.min(systemTokens, input) : 0;
    addCallCost(byStage[stage], batch, target, { input, cached, output, times: 1 }, ensembleAssumptions.retryShare);
    tokens.input += input;
    tokens.output += output;
    count[stage]++;
  };

  const sizes = Array.isArray(prompts) ? prompts.map((p) => estimateTokens(p.instruction) + estimateTokens(p.input)) : new Array<number>(prompts.generated).fill(ensembleAssumptions.generatedPrompt);
  if (!Array.isArray(prompts)) {
    const generator = services.llm.resolve('generate');
    const generateSystem = system('ensemble/prompts');
    for (let left = prompts.generated; left > 0; left -= ensembleAssumptions.promptsPerBatch) {
      price('prompts', generator, generateSystem, 60, Math.min(left, ensembleAssumptions.promptsPerBatch) * ensembleAssumptions.generatedPrompt);
    }
  }
  const judgeOutput = ensembleAssumptions.judgeOutputBase + ensembleAssumptions.judgeOutputPerAnswer * teachers.length;
  for (const size of sizes) {
    for (const target of teacherTargets) price('answer', target, answerSystem, size, ensembleAssumptions.answerOutput);
    price('judge', judge, judgeSystem, size + teachers.length * (ensembleAssumptions.answerOutput + 10), judgeOutput);
  }
  const sum = (key: keyof CostRange) => byStage.prompts[key] + byStage.answer[key] + byStage.judge[key];
  const total = { low: sum('low'), expected: sum('expected'), high: sum('high') };
  const n = Math.max(1, sizes.length);
  return {
    prompts: sizes.length,
    teachers,
    judge: `${judge.provider.name}/${judge.model}`,
    calls: { ...count, total: count.prompts + count.answer + count.judge },
    tokens,
    costUsd: total,
    costBatchUsd: batch,
    costByStageUsd: byStage,
    costPerSampleUsd: { low: total.low / n, expected: total.expected / n, high: total.high / n },
    expectedApprovedSamples: Math.round(sizes.length * ensembleAssumptions.approval),
    basis: `token counts of ${Array.isArray(prompts) ? `the ${sizes.length} prompts` : `${sizes.length} generated prompts of about ${ensembleAssumptions.generatedPrompt} tokens`} and the prompt templates, times the price table (${judge.price.as_of}); each teacher's answer assumed at ${ensembleAssumptions.answerOutput} tokens, the judge's verdict at ${judgeOutput}`,
  };
}
