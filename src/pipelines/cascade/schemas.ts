/** What each cascade stage asks the model to answer with. */
import { z } from 'zod';
import { domainBodySchema } from './domains.js';
import { criterionScore as score } from '../judging.js';

/** Stage A: several raw pairs per call, each tied to its slot of the plan. */
export const rawPairSchema = z.object({
  slot: z.int().min(1),
  question: z.string().min(8),
  answer: z.string().min(1),
});
export type RawPair = z.infer<typeof rawPairSchema>;
export const generationSchema = z.object({ pairs: z.array(rawPairSchema).min(1) });

/** Why the formatter may set a pair aside; counted per reason. */
export const formatProblems = ['incorrect', 'incomplete', 'not_a_request', 'off_topic', 'unsafe', 'unreadable'] as const;

/** Stage B: one pair in the canonical fields, or flagged unusable with a reason. */
export const formattedSchema = z.object({
  usable: z.boolean(),
  problem: z.enum(formatProblems).nullable(),
  note: z.string(),
  instruction: z.string(),
  input: z.string(),
  output: z.string(),
  reasoning: z.string(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
});
export type Formatted = z.infer<typeof formattedSchema>;

/** Stage C: the judge's criteria; `overall` is computed from them. */
export const cascadeVerdictSchema = z.object({
  accuracy: score,
  completeness: score,
  clarity: score,
  usefulness: score,
  safety: score,
  reason: z.string().min(1),
});
export type CascadeVerdict = z.infer<typeof cascadeVerdictSchema>;

/** The overall score is the mean of the four quality criteria (safety gates separately). */
export const cascadeCriteria = ['accuracy', 'completeness', 'clarity', 'usefulness'] as const;

/** A pair whose safety score is below this is rejected whatever its overall score. */
export const minSafetyScore = 5;

/** The expansion of a free-text domain: a template body the model writes. */
export const expandedDomainSchema = domainBodySchema;
