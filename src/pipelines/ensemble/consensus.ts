/** A judged sample in the canonical schema plus the perspectives, votes and agreement, and its preference pair. */
import type { Sample } from '../sample.js';
import type { EnsemblePrompt } from './inputs.js';
import type { EnsembleParams } from './teacher-prompts.js';
import { label, type JudgeVerdict } from './schemas.js';

export interface Perspective {
  teacher: string;
  label: string;
  answer: string;
  reasoning: string;
  score: number;
  agrees: boolean;
  note: string;
}

export type EnsembleSample = Sample & {
  perspectives: Perspective[];
  votes: { best: string; agreeing: string[]; dissenting: string[] };
  agreement: number;
  order: string[];
  consensus: { method: 'picked' | 'merged'; from: string[] };
};

/** Maps the judge's labels back to teachers through the recorded order and decides the status. */
export function toSample(
  runId: string,
  params: EnsembleParams,
  prompt: EnsemblePrompt,
  id: string,
  order: string[],
  byTeacher: Map<string, { answer: string; reasoning: string }>,
  verdict: JudgeVerdict,
  judgeModel: string,
): EnsembleSample {
  const teacherOf = (l: string) => order[labels(order).indexOf(l.trim().toUpperCase())]!;
  const perspectives: Perspective[] = order.map((teacher, i) => {
    const scored = verdict.answers.find((a) => a.label.trim().toUpperCase() === label(i))!;
    return { teacher, label: label(i), answer: byTeacher.get(teacher)!.answer, reasoning: byTeacher.get(teacher)!.reasoning, score: scored.score, agrees: scored.agrees, note: scored.note };
  });
  const agreement = Math.round(verdict.agreement * 1000) / 1000;
  const overall = verdict.consensus_score;
  const status = agreement < params.min_agreement ? 'pending' : overall >= params.min_score ? 'approved' : 'rejected';
  const reason =
    status === 'pending'
      ? `The teachers disagree (agreement ${agreement} < ${params.min_agreement}): ${verdict.reason}`
      : status === 'rejected'
        ? `Consensus score ${overall} is below min_score ${params.min_score}: ${verdict.reason}`
        : verdict.reason;
  const from = verdict.consensus.based_on.map((l) => teacherOf(l)).filter((teacher): teacher is string => !!teacher);
  return {
    id,
    instruction: prompt.instruction,
    input: prompt.input,
    output: verdict.consensus.answer,
    reasoning: verdict.consensus.reasoning,
    difficulty: verdict.difficulty,
    source: { run: runId, pipeline: 'ensemble', ...sourceFields(params, prompt) },
    scores: { overall },
    status,
    review: { by: 'judge', reason, at: new Date().toISOString(), model: judgeModel },
    perspectives,
    votes: { best: teacherOf(verdict.best), agreeing: perspectives.filter((p) => p.agrees).map((p) => p.teacher), dissenting: perspectives.filter((p) => !p.agrees).map((p) => p.teacher) },
    agreement,
    order,
    consensus: { method: verdict.consensus.method, from },
  };
}

function labels(order: string[]): string[] {
  return order.map((_, i) => label(i));
}

function sourceFields(params: EnsembleParams, prompt: EnsemblePrompt): Record<string, unknown> {
  const { source } = params;
  if (source.kind === 'file') return { file: source.file.name, ...(prompt.origin.line ? { line: prompt.origin.line } : {}) };
  if (source.kind === 'run') return { from_run: source.run_id, ...(prompt.origin.sample ? { from_sample: prompt.origin.sample } : {}) };
  return { domain: source.domain, ...(prompt.origin.batch ? { batch: prompt.origin.batch } : {}) };
}

/** chosen: the consensus; rejected: the weakest answer that differs from it. None when nothing is worse. */
export function preferencePair(sample: EnsembleSample) {
  const normalized = (text: string) => text.replace(/\s+/g, ' ').trim();
  const chosen = normalized(sample.output);
  const candidates = sample.perspectives.filter((p) => normalized(p.answer) !== chosen).sort((a, b) => a.score - b.score || a.label.localeCompare(b.label));
  const weakest = candidates[0];
  if (!weakest || weakest.score >= sample.scores.overall) return undefined;
  return {
    id: sample.id,
    instruction: sample.instruction,
    input: sample.input,
    chosen: sample.output,
    rejected: weakest.answer,
    chosen_score: sample.scores.overall,
    rejected_score: weakest.score,
    rejected_teacher: weakest.teacher,
    agreement: sample.agreement,
    source: sample.source,
  };
}
