/** The canonical sample every pipeline writes and review and export read: one JSON object per line in every dataset file. */
export type Difficulty = 'easy' | 'medium' | 'hard';
export type SampleStatus = 'approved' | 'rejected' | 'pending';

export interface Sample {
  id: string;
  instruction: string;
  input: string;
  output: string;
  reasoning: string;
  difficulty: Difficulty;
  source: { file?: string; chunk?: number; headings?: string[]; run: string; [key: string]: unknown };
  scores: { overall: number; [criterion: string]: number };
  status: SampleStatus;
  review: { by: 'judge' | 'human' | 'filter'; reason: string; at: string; model?: string };
  [extra: string]: unknown;
}
