/** A cascade run's stored parameters, stage names and file names. */
import type { RunModeParams } from '../run-mode.js';
import type { DomainKind, DomainTemplate } from './domains.js';

export interface CascadeParams extends RunModeParams {
  /** The template is kept with the run, so editing a template file never changes a run in progress. */
  domain: { input: string; kind: DomainKind; name: string; template?: DomainTemplate };
  samples: number;
  golden_fraction: number;
  stage_a_only: boolean;
  pairs_per_call: number;
  min_score: number;
  max_usd?: number;
}

export const cascadeFiles = {
  domain: 'domain.json',
  raw: 'stage_a_raw_pairs.jsonl',
  formatted: 'stage_b_formatted_pairs.jsonl',
  validated: 'stage_c_validated.jsonl',
  train: 'train.jsonl',
  golden: 'golden_test_set.jsonl',
  metrics: 'metrics.json',
} as const;

export const cascadeStages = { expand: 'cascade.expand', generate: 'cascade.generate', format: 'cascade.format', validate: 'cascade.validate' } as const;
