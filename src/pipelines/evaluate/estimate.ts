/**
 * What an evaluation will cost before anything is spent: token counts of the golden questions and
 * references and the prompt templates, times the price table, for the candidate (usually $0), the
 * baseline and the judge. No keys needed.
 */
import type { PriceRow } from '../../config.js';
import { costUsd } from '../../llm/prices.js';
import { estimateTokens } from '../../llm/tokens.js';
import { emptyUsage } from '../../llm/types.js';
import type { Services } from '../../services.js';
import { offPeakMoment, peakMoment, zeroRange, type CostRange } from '../cost-range.js';
import { parseTeacher } from '../ensemble/teachers.js';
import type { GoldenQuestion } from './params.js';

/** Assumed answer and verdict sizes in tokens, and the share of retries and re-asks. */
const assumed = { answerOutput: 400, verdictOutput: 200, retryShare: { expected: 0.05, high: 0.2 } };

export interface EvaluateEstimate {
  questions: number;
  calls: { candidate: number; baseline: number; judge: number; total: number };
  tokens: { input: number; output: number };
  costUsd: CostRange;
  costByStageUsd: { candidate: CostRange; baseline: CostRange; judge: CostRange };
  basis: string;
}

export function estimateEvaluation(services: Services, questions: GoldenQuestion[], prices: { candidate: PriceRow; baseline: string; judge: string }): EvaluateEstimate {
  const baseline = services.llm.resolve('generate', parseTeacher(prices.baseline)).price;
  const judge = services.llm.resolve('judge', parseTeacher(prices.judge)).price;
  const answerSystem = estimateTokens(services.prompts.template('evaluate/answer').system);
  const judgeSystem = estimateTokens(services.prompts.template('evaluate/judge').system);
  const byStage = { candidate: zeroRange(), baseline: zeroRange(), judge: zeroRange() };
  const tokens = { input: 0, output: 0 };
  const add = (stage: keyof typeof byStage, price: PriceRow, input: number, output: number) => {
    const usage = { ...emptyUsage(), inputTokens: input, outputTokens: output };
    byStage[stage].low += costUsd(price, usage, offPeakMoment());
    byStage[stage].expected += costUsd(price, usage, new Date()) * (1 + assumed.retryShare.expected);
    byStage[stage].high += costUsd(price, { ...usage, outputTokens: Math.ceil(output * 1.5) }, peakMoment(price)) * (1 + assumed.retryShare.high);
    tokens.input += input;
    tokens.output += output;
  };
  for (const question of questions) {
    const asked = estimateTokens(question.instruction) + estimateTokens(question.input) + 30;
    add('candidate', prices.candidate, answerSystem + asked, assumed.answerOutput);
    add('baseline', baseline, answerSystem + asked, assumed.answerOutput);
    add('judge', judge, judgeSystem + asked + estimateTokens(question.reference) + 2 * assumed.answerOutput, assumed.verdictOutput);
  }
  const sum = (key: keyof CostRange) => byStage.candidate[key] + byStage.baseline[key] + byStage.judge[key];
  const n = questions.length;
  return {
    questions: n,
    calls: { candidate: n, baseline: n, judge: n, total: 3 * n },
    tokens,
    costUsd: { low: sum('low'), expected: sum('expected'), high: sum('high') },
    costByStageUsd: byStage,
    basis: `token counts of the ${n} golden questions and references and the prompt templates, times the price table; answers assumed at ${assumed.answerOutput} tokens, verdicts at ${assumed.verdictOutput}`,
  };
}
