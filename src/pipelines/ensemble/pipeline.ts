/**
 * Ensemble: every teacher answers every prompt; a judge sees the answers anonymised in a seeded,
 * recorded order, scores them, votes, says how far they agree and writes the consensus answer.
 * Low agreement goes to review as pending; the consensus and the weakest answer make a preference
 * pair. Files are rebuilt from the call journal on every (re)start, like every pipeline.
 */
import path from 'node:path';
import type { CallOutcome, RunContext } from '../engine.js';
import { JsonlAppender, writeJsonAtomic } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { stableKey } from '../../util/hash.js';
import { promptKey, type EnsemblePrompt } from './inputs.js';
import { EnsembleTally, ensembleMetrics } from './metrics.js';
import { preparePrompts, type EnsembleParams } from './teacher-prompts.js';
import { judgeVerdictSchemaFor, label, labelsMismatch, seededOrder, teacherAnswerSchema, verdictProblem, type TeacherAnswer } from './schemas.js';
import { preferencePair, toSample, type EnsembleSample } from './consensus.js';
import { parseTeacher } from './teachers.js';
import { ensembleFiles } from '../run-files.js';

export type { EnsembleParams } from './teacher-prompts.js';
export type { EnsembleSample, Perspective } from './consensus.js';

export const answerStage = 'ensemble.answer';
export const judgeStage = 'ensemble.judge';

interface AnswerLine {
  id: string;
  prompt_key: string;
  teacher: string;
  instruction: string;
  input: string;
  answer: string | null;
  reasoning: string | null;
  error?: { reason: string; message: string };
  cost_usd: number;
}

interface SampleResult {
  answers: AnswerLine[];
  sample?: EnsembleSample;
}

export async function runEnsemble(context: RunContext<EnsembleParams>): Promise<Record<string, unknown>> {
  const { params, progress, dir } = context;
  const started = Date.now();
  const prompts = await preparePrompts(context);
  if (!prompts || context.shouldStop()) return {};
  const teachers = params.teachers;
  progress.count('prompts', prompts.length);
  progress.setTotal(answerStage, prompts.length * teachers.length);
  progress.setTotal(judgeStage, prompts.length);

  const answersFile = await JsonlAppender.fresh(dir, ensembleFiles.answers);
  const consensusFile = await JsonlAppender.fresh(dir, ensembleFiles.consensus);
  const preferencesFile = await JsonlAppender.fresh(dir, ensembleFiles.preferences);
  const costByTeacher: Record<string, number> = Object.fromEntries(teachers.map((t) => [t, 0]));
  const tally = new EnsembleTally();

  const record = async (result: SampleResult) => {
    for (const line of result.answers) {
      answersFile.write(line);
      costByTeacher[line.teacher] = (costByTeacher[line.teacher] ?? 0) + line.cost_usd;
    }
    const sample = result.sample;
    if (!sample) return;
    consensusFile.write(sample);
    tally.add(sample);
    progress.count(sample.status);
    if (sample.status === 'rejected') progress.drop('below_min_score');
    if (sample.status === 'pending') progress.drop('low_agreement');
    if (sample.status !== 'approved') return;
    const pair = preferencePair(sample);
    if (!pair) return progress.count('preference_pairs_skipped');
    preferencesFile.write(pair);
    progress.count('preference_pairs');
  };

  const results = mapOrdered(prompts, context.window(judgeStage, 'judge', 16), (prompt, index) => answerAndJudge(context, prompt, `${context.runId}-${index}`), context.shouldStop);
  try {
    for await (const result of results) await record(result);
  } finally {
    // Closed on a pause or cancel too, so no file handle outlives the run.
    await Promise.all([answersFile, consensusFile, preferencesFile].map((file) => file.close().catch(() => undefined)));
  }
  if (context.shouldStop()) return {};

  const metrics = ensembleMetrics(context, { prompts: prompts.length, tally, costByTeacher, seconds: (Date.now() - started) / 1000 });
  await writeJsonAtomic(path.join(dir, ensembleFiles.metrics), metrics);
  return metrics;
}

async function answerAndJudge(context: RunContext<EnsembleParams>, prompt: EnsemblePrompt, id: string): Promise<SampleResult> {
  const { params, progress, services } = context;
  const key = promptKey(prompt);
  const rendered = services.prompts.render('ensemble/answer', { instruction: prompt.instruction, input: prompt.input || '(none)' });
  const settled = await Promise.allSettled(params.teachers.map((teacher) =>
    context.call({ stage: answerStage, role: 'generate', target: parseTeacher(teacher), sampleKey: key, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: teacherAnswerSchema, schemaName: 'teacher_answer', maxOutputTokens: 2048 }),
  ));
  const stop = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (stop) throw stop.reason; // a pause or cancellation: never swallowed
  const base = { id, prompt_key: key, instruction: prompt.instruction, input: prompt.input };
  const lines: AnswerLine[] = [];
  const answered: { teacher: string; answer: string; reasoning: string }[] = [];
  for (const [i, result] of settled.entries()) {
    const teacher = params.teachers[i]!;
    const outcome = (result as PromiseFulfilledResult<CallOutcome<TeacherAnswer>>).value;
    if (outcome.ok) {
      progress.succeeded(answerStage);
      lines.push({ ...base, teacher, answer: outcome.value.answer, reasoning: outcome.value.reasoning, cost_usd: outcome.costUsd });
      answered.push({ teacher, ...outcome.value });
    } else {
      progress.failed(answerStage, outcome.reason, `${id} ${teacher}: ${outcome.message}`);
      lines.push({ ...base, teacher, answer: null, reasoning: null, error: { reason: outcome.reason, message: outcome.message }, cost_usd: outcome.costUsd });
      context.checkFailures(answerStage);
    }
  }
  if (answered.length < 2) {
    progress.failed(judgeStage, 'too_few_answers', `${id}: only ${answered.length} teacher answered, two are needed to compare.`);
    context.checkFailures(judgeStage);
    return { answers: lines };
  }

  const order = seededOrder(answered.map((a) => a.teacher), key);
  const byTeacher = new Map(answered.map((a) => [a.teacher, a]));
  const labels = order.map((_, i) => label(i));
  const block = order.map((teacher, i) => `<answer label="${labels[i]}">\n${byTeacher.get(teacher)!.answer}\n\n<reasoning>\n${byTeacher.get(teacher)!.reasoning}\n</reasoning>\n</answer>`).join('\n\n');
  const judgePrompt = services.prompts.render('ensemble/judge', { instruction: prompt.instruction, input: prompt.input || '(none)', count: order.length, labels: labels.join(', '), answers: block });
  // The judge's key covers the answers it saw, so a resume without a teacher asks it again.
  const judgeKey = `${key}-${stableKey(order, order.map((teacher) => byTeacher.get(teacher)!.answer))}`;
  const outcome = await context.call({ stage: judgeStage, role: 'judge', sampleKey: judgeKey, promptHash: judgePrompt.hash, system: judgePrompt.system, prompt: judgePrompt.prompt, schema: judgeVerdictSchemaFor(labels), schemaName: 'ensemble_verdict', maxOutputTokens: 3072 });
  // A new answer was checked against the labels when parsed (and re-asked once); one replayed from an older journal was not.
  const problem = outcome.ok ? verdictProblem(outcome.value, labels) : undefined;
  if (!outcome.ok || problem) {
    const reason = !outcome.ok && !labelsMismatch(outcome) ? outcome.reason : 'judge_labels_mismatch';
    progress.failed(judgeStage, reason, `${id}: ${outcome.ok ? problem : outcome.message}`);
    context.checkFailures(judgeStage);
    return { answers: lines };
  }
  progress.succeeded(judgeStage);
  return { answers: lines, sample: toSample(context.runId, params, prompt, id, order, byTeacher, outcome.value, `${outcome.provider}/${outcome.model}`) };
}

/** Output files are rebuilt from the journal on every (re)start. */

