/**
 * An evaluation run: every golden question is answered by the candidate and the baseline; the judge
 * grades both against the golden reference, shown as A and B in a per-question shuffled order, and
 * says which is better. Grades and the report are rebuilt from the journal on every (re)start.
 */
import { rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlAppender, readJsonlArray, writeJsonAtomic } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { stableKey } from '../../util/hash.js';
import type { RunContext } from '../engine.js';
import { RunStop } from '../engine.js';
import { seededOrder } from '../ensemble/schemas.js';
import { parseTeacher } from '../ensemble/teachers.js';
import { candidateRegistered } from './endpoint.js';
import { readSource } from './golden-source.js';
import { evaluateFiles, evaluateStages, type EvaluateParams, type GoldenQuestion } from './params.js';
import { evaluationReport, type Grade } from './report.js';
import { evaluationAnswerSchema, evaluationVerdictSchema } from './schemas.js';

export async function runEvaluate(context: RunContext<EvaluateParams>): Promise<Record<string, unknown>> {
  const { params, progress, dir, services } = context;
  if (!candidateRegistered(services, params)) {
    throw new RunStop('paused', { reason: 'provider', message: `The candidate at ${params.candidate.base_url} needs its api_key, which Distillery keeps in memory only and this process does not have. Call resume_run with api_key to continue; calls already made are not paid again.` });
  }
  const questions = await loadQuestions(dir, params, services.config.home);
  for (const stage of Object.values(evaluateStages)) progress.setTotal(stage, questions.length);
  const grades = await JsonlAppender.fresh(dir, evaluateFiles.grades);
  const collected: Grade[] = [];
  try {
    for await (const grade of mapOrdered(questions, 8, (question) => gradeQuestion(context, question), context.shouldStop)) {
      if (!grade) continue;
      collected.push(grade);
      progress.count(grade.outcome);
      grades.write(grade);
    }
  } finally {
    await grades.close();
  }
  if (context.shouldStop()) return {}; // the engine records the pause or cancellation
  const report = evaluationReport(collected, questions.length);
  const data = progress.snapshot();
  const metrics = { run_id: context.runId, pipeline: 'evaluate', candidate: `${params.candidate.model} at ${params.candidate.base_url}`, baseline: params.baseline, judge: params.judge, evaluation: report, cost_usd: { total: data.costUsd, ...Object.fromEntries(Object.entries(evaluateStages).map(([role, stage]) => [role, data.stages[stage]?.costUsd ?? 0])) }, tokens: { input: data.usage.inputTokens, cached_input: data.usage.cachedInputTokens, output: data.usage.outputTokens }, calls: { paid: data.paidCalls, replayed_from_journal: data.replayedCalls } };
  await writeJsonAtomic(path.join(dir, evaluateFiles.metrics), metrics);
  return metrics;
}

async function gradeQuestion(context: RunContext<EvaluateParams>, question: GoldenQuestion): Promise<Grade | undefined> {
  const { params, progress, services } = context;
  const key = `q-${stableKey(question.instruction, question.input, question.reference)}`;
  const asked = services.prompts.render('evaluate/answer', { instruction: question.instruction, input: question.input || '(none)' });
  const answer = (stage: string, target: { provider: string; model: string }) =>
    context.call({ stage, role: 'generate', target, sampleKey: key, promptHash: asked.hash, system: asked.system, prompt: asked.prompt, schema: evaluationAnswerSchema, schemaName: 'answer', maxOutputTokens: 2048 });
  const [candidate, baseline] = await Promise.all([answer(evaluateStages.candidate, { provider: params.candidate.provider, model: params.candidate.model }), answer(evaluateStages.baseline, parseTeacher(params.baseline))]);
  for (const [stage, outcome] of [[evaluateStages.candidate, candidate], [evaluateStages.baseline, baseline]] as const) {
    if (outcome.ok) progress.succeeded(stage);
    else {
      progress.failed(stage, outcome.reason, `${question.id}: ${outcome.message}`);
      context.checkFailures(stage);
    }
  }
  if (!candidate.ok || !baseline.ok) return undefined;
  const order = seededOrder(['baseline', 'candidate'] as const, `${params.seed}|${key}`);
  const text = { candidate: candidate.value.answer, baseline: baseline.value.answer };
  const judged = services.prompts.render('evaluate/judge', { instruction: question.instruction, input: question.input || '(none)', reference: question.reference, answer_a: text[order[0]!], answer_b: text[order[1]!] });
  // The judge's key covers the answers it saw, so a changed answer is judged again.
  const verdict = await context.call({ stage: evaluateStages.judge, role: 'judge', target: parseTeacher(params.judge), sampleKey: `${key}-${stableKey(order, text[order[0]!], text[order[1]!])}`, promptHash: judged.hash, system: judged.system, prompt: judged.prompt, schema: evaluationVerdictSchema, schemaName: 'evaluation_verdict', maxOutputTokens: 1024 });
  const labels = verdict.ok ? new Set(verdict.value.answers.map((entry) => entry.label)) : undefined;
  if (!verdict.ok || labels!.size !== 2) {
    progress.failed(evaluateStages.judge, verdict.ok ? 'judge_labels_mismatch' : verdict.reason, `${question.id}: ${verdict.ok ? 'the judge did not score A and B once each' : verdict.message}`);
    context.checkFailures(evaluateStages.judge);
    return undefined;
  }
  progress.succeeded(evaluateStages.judge);
  const labelOf = { candidate: order[0] === 'candidate' ? 'A' : 'B', baseline: order[0] === 'baseline' ? 'A' : 'B' } as const;
  const scoreOf = (who: 'candidate' | 'baseline') => verdict.value.answers.find((entry) => entry.label === labelOf[who])!;
  const better = verdict.value.better;
  return {
    id: question.id,
    instruction: question.instruction,
    reference: question.reference,
    difficulty: question.difficulty,
    topic: question.topic,
    candidate: { answer: text.candidate, score: scoreOf('candidate').score, note: scoreOf('candidate').note },
    baseline: { answer: text.baseline, score: scoreOf('baseline').score, note: scoreOf('baseline').note },
    outcome: better === 'tie' ? 'tie' : better === labelOf.candidate ? 'win' : 'loss',
    order: [...order],
    reason: verdict.value.reason,
    judge: `${verdict.provider}/${verdict.model}`,
  };
}

/** The golden questions as the run first read them: a snapshot in the run folder, so a resume asks the same ones. */
async function loadQuestions(dir: string, params: EvaluateParams, home: string): Promise<GoldenQuestion[]> {
  const snapshot = path.join(dir, evaluateFiles.questions);
  if (await stat(snapshot).then(() => true, () => false)) return readJsonlArray<GoldenQuestion>(snapshot);
  const questions = await readSource(params.source, home);
  const temp = `${snapshot}.tmp`;
  await writeFile(temp, questions.map((question) => JSON.stringify(question) + '\n').join(''));
  await rename(temp, snapshot);
  return questions;
}
