import { z } from 'zod';
import { criterionScore as score } from '../judging.js';

export const generatedPairSchema = z.object({
  question: z.string().min(8),
  answer: z.string().min(1),
  reasoning: z.string(),
  evidence: z.string(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  question_type: z.enum(['factual', 'conceptual', 'applied']),
});
export type GeneratedPair = z.infer<typeof generatedPairSchema>;

export const generationSchema = z.object({ pairs: z.array(generatedPairSchema).min(1) });

export const verdictSchema = z.object({
  faithfulness: score,
  correctness: score,
  clarity: score,
  usefulness: score,
  reason: z.string().min(1),
});
export type Verdict = z.infer<typeof verdictSchema>;

/** The overall score is the mean of these four criteria. */
export const distillCriteria = ['faithfulness', 'correctness', 'clarity', 'usefulness'] as const;

/** Questions that lean on the passage instead of standing on their own. */
const leansOnText = /\b(according to|based on|in|from|per) (the|this|that|above) (text|passage|document|excerpt|chunk|section|article)\b|\b(the|this) (text|passage|excerpt) (says|states|mentions|describes)\b/i;
export function isStandalone(question: string): boolean {
  return !leansOnText.test(question);
}

/** Evidence is found when its normalised form occurs in the normalised chunk (free, no call). */
export function normalizeForEvidence(text: string): string {
  return text
    .toLowerCase()
    .replace(/[\u2018\u2019\u201a\u201b]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function evidenceFound(evidence: string, chunkText: string, normalizedChunk = normalizeForEvidence(chunkText)): boolean {
  const needle = normalizeForEvidence(evidence);
  return needle.length >= 8 && normalizedChunk.includes(needle);
}
