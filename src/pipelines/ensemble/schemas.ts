/** What the ensemble's models answer, and the seeded, recorded order in which the judge sees them. */
import { z } from 'zod';
import { sha256 } from '../../util/hash.js';

export const teacherAnswerSchema = z.object({
  answer: z.string().min(1),
  reasoning: z.string(),
});
export type TeacherAnswer = z.infer<typeof teacherAnswerSchema>;

const score = z.number().min(0).max(10);
const difficulty = z.enum(['easy', 'medium', 'hard']);

export const judgeVerdictSchema = z.object({
  answers: z.array(z.object({ label: z.string().min(1), score, agrees: z.boolean(), note: z.string() })).min(1),
  best: z.string().min(1),
  agreement: z.number().min(0).max(1),
  consensus: z.object({
    method: z.enum(['picked', 'merged']),
    based_on: z.array(z.string()),
    answer: z.string().min(1),
    reasoning: z.string(),
  }),
  consensus_score: score,
  difficulty,
  reason: z.string().min(1),
});
export type JudgeVerdict = z.infer<typeof judgeVerdictSchema>;

export const generatedPromptsSchema = z.object({
  prompts: z.array(z.object({ instruction: z.string().min(8), input: z.string().optional(), difficulty: difficulty.optional() })).min(1),
});

/** A, B, C, ... Z, then AA, AB: labels for anonymised answers. */
export function label(index: number): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return index < 26 ? letters[index]! : `${letters[Math.floor(index / 26) - 1]}${letters[index % 26]}`;
}

/**
 * The order the judge sees the teachers in: a Fisher-Yates shuffle of the sorted names, seeded by the
 * sample key, so every sample gets its own order and a resumed run gets the same one.
 */
export function seededOrder<T extends string>(teachers: readonly T[], seedKey: string): T[] {
  const order = [...teachers].sort();
  const digest = sha256(`order:${seedKey}`);
  let state = Number.parseInt(digest.slice(0, 8), 16) >>> 0;
  const next = () => {
    // mulberry32: small, fast and good enough to spread positions evenly.
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Checks the judge named every label exactly once and voted for one of them; returns what is wrong. */
export function verdictProblem(verdict: JudgeVerdict, labels: string[]): string | undefined {
  const named = verdict.answers.map((answer) => answer.label.trim().toUpperCase());
  const missing = labels.filter((l) => !named.includes(l));
  const unknown = named.filter((l) => !labels.includes(l));
  if (missing.length || unknown.length || new Set(named).size !== named.length) {
    return `the judge scored labels ${named.join(', ') || '(none)'} but was shown ${labels.join(', ')}`;
  }
  if (!labels.includes(verdict.best.trim().toUpperCase())) return `the judge voted for "${verdict.best}", which is not one of ${labels.join(', ')}`;
  return undefined;
}
