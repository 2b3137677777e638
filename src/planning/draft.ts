/** A plan while it is being filled: what the planner and the tier plans both write into. */
import type { PlanContext, PlannedRun } from './candidates.js';
import type { CheaperOption } from './cheaper.js';

export interface LeftOut {
  run: PlannedRun;
  reason: string;
  options: CheaperOption[];
}

/** The mutable part of a plan while it is being filled. */
export interface PlanDraft {
  context: PlanContext;
  runs: PlannedRun[];
  leftOut: LeftOut[];
  skipped: { goal: string; reason: string }[];
  leftUsd: number;
}
