/** How every stage counts a call's outcome, so a failure is recorded and weighed the same everywhere. */
import type { CallOutcome, RunContext } from './engine.js';

export type Answered<T> = Extract<CallOutcome<T>, { ok: true }>;

/**
 * True for an answer, counted as a success of its stage; a failure is counted with what it was for
 * (`what`), may pause the run when the stage fails too often, and gives false.
 */
export function answered<T>(context: RunContext, stage: string, outcome: CallOutcome<T>, what: string): outcome is Answered<T> {
  if (!outcome.ok) {
    context.progress.failed(stage, outcome.reason, `${what}: ${outcome.message}`);
    context.checkFailures(stage);
    return false;
  }
  context.progress.succeeded(stage);
  return true;
}
