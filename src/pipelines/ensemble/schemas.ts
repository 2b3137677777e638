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

/**
 * The judge's verdict for answers labelled `labels`: every label field is an enum of them, so a
 * provider that takes a schema cannot name another, a JSON-mode provider reads the choices in its
 * prompt, and a wrong label is a schema mismatch the client re-asks once. One schema per label set
 * (they depend only on the number of answers), so its JSON form is built once.
 */
export function judgeVerdictSchemaFor(labels: readonly string[]) {
  const key = labels.join(',');
  let schema = verdictSchemas.get(key);
  if (!schema) {
    // The enums cannot say "each label exactly once": zod checks that, and a miss is re-asked too.
    schema = verdictSchema(z.enum(labels as [string, ...string[]])).superRefine((verdict, context) => {
      const problem = verdictProblem(verdict, [...labels]);
      if (problem) context.addIssue({ code: 'custom', path: ['answers'], message: problem });
    });
    verdictSchemas.set(key, schema);
  }
  return schema;
}

function verdictSchema(label: z.ZodType<string>) {
  return z.object({
    answers: z.array(z.object({ label, score, agrees: z.boolean(), note: z.string() })).min(1),
    best: label,
    agreement: z.number().min(0).max(1),
    consensus: z.object({
      method: z.enum(['picked', 'merged']),
      based_on: z.array(label),
      answer: z.string().min(1),
      reasoning: z.string(),
    }),
    consensus_score: score,
    difficulty,
    reason: z.string().min(1),
  });
}

/** Any labels: the shape a journaled verdict has, whatever labels it was asked with. */
export const judgeVerdictSchema = verdictSchema(z.string().min(1));
export type JudgeVerdict = z.infer<typeof judgeVerdictSchema>;
const verdictSchemas = new Map<string, z.ZodType<JudgeVerdict>>();

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

/** Checks the judge named every label exactly once and voted and built its consensus on them; returns what is wrong. */
export function verdictProblem(verdict: JudgeVerdict, labels: string[]): string | undefined {
  const named = verdict.answers.map((answer) => answer.label.trim().toUpperCase());
  const missing = labels.filter((l) => !named.includes(l));
  const unknown = named.filter((l) => !labels.includes(l));
  if (missing.length || unknown.length || new Set(named).size !== named.length) {
    return `the judge scored labels ${named.join(', ') || '(none)'} but was shown ${labels.join(', ')}`;
  }
  if (!labels.includes(verdict.best.trim().toUpperCase())) return `the judge voted for "${verdict.best}", which is not one of ${labels.join(', ')}`;
  const unshown = verdict.consensus.based_on.filter((l) => !labels.includes(l.trim().toUpperCase()));
  if (unshown.length) return `the judge based its consensus on ${unshown.join(', ')}, which is not one of ${labels.join(', ')}`;
  return undefined;
}

/** A failed judge call whose second answer still named answers outside the labels (the issues zod reports on label fields). */
export function labelsMismatch(failure: { reason: string; message: string }): boolean {
  return failure.reason === 'output_schema_mismatch' && /(?:answers(?:\.\d+\.label)?|best|consensus\.based_on(?:\.\d+)?): (?:Invalid option|the judge )/.test(failure.message);
}
