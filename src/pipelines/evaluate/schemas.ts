/** What the candidate, the baseline and the judge answer in an evaluation. */
import { z } from 'zod';

export const evaluationAnswerSchema = z.object({ answer: z.string().min(1) });

export const evaluationVerdictSchema = z.object({
  answers: z.array(z.object({ label: z.enum(['A', 'B']), score: z.number().min(0).max(10), note: z.string() })).length(2),
  better: z.enum(['A', 'B', 'tie']),
  reason: z.string(),
});
export type EvaluationVerdict = z.infer<typeof evaluationVerdictSchema>;
