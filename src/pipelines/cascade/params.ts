/** A cascade run's stored parameters and stage names (its file names are in ../run-files.ts). */
import type { RunModeParams } from '../run-mode.js';
import type { DomainKind, DomainTemplate } from './domains.js';

export interface CascadeParams extends RunModeParams {
  /** The template is kept with the run, so editing a template file never changes a run in progress. */
  domain: { input: string; kind: DomainKind; name: string; template?: DomainTemplate };
  /** Raw pairs to generate, or with target "approved" pairs to end in train plus golden. */
  samples: number;
  /** Absent in runs started before targets existed: "generated". */
  target?: 'generated' | 'approved';
  /** Target "approved": the approval rate the first wave was sized with, fixed at start so a resume plans the same. */
  approval_rate?: number;
  golden_fraction: number;
  stage_a_only: boolean;
  pairs_per_call: number;
  min_score: number;
}

export const cascadeStages = { expand: 'cascade.expand', generate: 'cascade.generate', format: 'cascade.format', validate: 'cascade.validate' } as const;
