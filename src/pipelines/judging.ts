/** What the judges share: the 0-10 criterion, the overall score, the approval rule and its default min_score. */
import { z } from 'zod';

export const criterionScore = z.number().min(0).max(10);

/** Approve a sample when the judge's overall score is at least this, of 10, unless the run sets min_score. */
export const defaultMinScore = 7;

/** The mean of the named criteria, one decimal. */
export function overallScore<K extends string>(verdict: Readonly<Record<K, number>>, criteria: readonly K[]): number {
  return Math.round((criteria.reduce((sum, key) => sum + verdict[key], 0) / criteria.length) * 10) / 10;
}

/** Approved at min_score or above; a rejection's reason says by how much it fell short. */
export function scoreVerdict(overall: number, minScore: number, reason: string): { approved: boolean; reason: string } {
  return overall >= minScore ? { approved: true, reason } : { approved: false, reason: `Score ${overall} is below min_score ${minScore}: ${reason}` };
}
