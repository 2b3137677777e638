/** An evaluation run's stored parameters, stage names and file names. */
import type { RunParams } from '../../store/catalog.js';

export interface EvaluateParams extends RunParams {
  /** Where the golden questions came from: a run's golden set or an export's golden file. */
  source: { kind: 'run'; run_id: string; file: string } | { kind: 'export'; file: string; /** The export's runs, whose golden sets give difficulty and topic back. */ run_ids: string[] };
  questions: number;
  candidate: {
    /** The run-time provider name the candidate is called under (its calls' journal keys use it). */
    provider: string;
    base_url: string;
    model: string;
    /** Whether an api_key was given; the key itself is never stored. */
    api_key_given: boolean;
    /** Price source: a configured provider with the same base URL, or none ($0, tokens still counted). */
    priced_as?: string;
  };
  baseline: string;
  judge: string;
  seed: string;
  max_usd?: number;
}

export const evaluateFiles = {
  questions: 'questions.jsonl',
  answers: 'answers.jsonl',
  grades: 'grades.jsonl',
  metrics: 'metrics.json',
} as const;

export const evaluateStages = { candidate: 'evaluate.candidate', baseline: 'evaluate.baseline', judge: 'evaluate.judge' } as const;

/** One golden question with its reference answer. */
export interface GoldenQuestion {
  id: string;
  instruction: string;
  input: string;
  reference: string;
  difficulty: string;
  topic: string;
}
