/**
 * Human review decisions over judged samples. Decisions are stored in the catalog (they survive a
 * restart) and never rewrite a run's files: the effective sample is the file's sample with its
 * decisions folded over it, oldest first, so the latest word on status or text wins.
 */
import type { Decision } from '../store/catalog.js';
import type { Sample, SampleStatus } from '../pipelines/sample.js';

export interface DecisionInput {
  sample_id: string;
  action: 'approve' | 'reject' | 'edit';
  instruction?: string;
  output?: string;
  note?: string;
}

/** What a sample's decisions add up to. */
export interface Overlay {
  status: SampleStatus;
  instruction?: string;
  output?: string;
  last: Decision;
  count: number;
}

export type DecisionOutcome = 'applied' | 'confirmed' | 'unchanged';

/** An edit replaces text and approves: a person who fixed a pair means to keep it. */
export function foldDecisions(decisions: readonly Decision[]): Overlay | undefined {
  const last = decisions.at(-1);
  if (!last) return undefined;
  const overlay: Overlay = { status: 'pending', last, count: decisions.length };
  for (const decision of decisions) {
    overlay.status = decision.action === 'reject' ? 'rejected' : 'approved';
    if (decision.action === 'edit') {
      if (decision.edit?.instruction !== undefined) overlay.instruction = decision.edit.instruction;
      if (decision.edit?.output !== undefined) overlay.output = decision.edit.output;
    }
  }
  return overlay;
}

/** Decisions grouped by sample id, each group oldest first (the catalog's order). */
export function groupDecisions(decisions: readonly Decision[]): Map<string, Decision[]> {
  const groups = new Map<string, Decision[]>();
  for (const decision of decisions) {
    const group = groups.get(decision.sampleId);
    if (group) group.push(decision);
    else groups.set(decision.sampleId, [decision]);
  }
  return groups;
}

const verbs = { approve: 'Approved', reject: 'Rejected', edit: 'Edited and approved' } as const;

/** The sample as review and export see it; the judge's review and the original text stay beside it. */
export function effectiveSample(sample: Sample, overlay: Overlay | undefined): Sample {
  if (!overlay) return sample;
  const { last } = overlay;
  const edited = (overlay.instruction !== undefined && overlay.instruction !== sample.instruction) || (overlay.output !== undefined && overlay.output !== sample.output);
  return {
    ...sample,
    instruction: overlay.instruction ?? sample.instruction,
    output: overlay.output ?? sample.output,
    status: overlay.status,
    review: { by: 'human', reason: last.note ?? `${verbs[last.action]} by ${last.by}.`, at: last.at },
    judge_review: sample.review,
    human_review: { by: last.by, action: last.action, at: last.at, ...(last.note ? { note: last.note } : {}), decisions: overlay.count },
    ...(edited ? { original: { instruction: sample.instruction, output: sample.output, status: sample.status } } : {}),
  };
}

/** The same decision twice (same action, text and note as the latest one) changes nothing. */
export function sameAsLatest(latest: Decision | undefined, input: DecisionInput): boolean {
  if (!latest || latest.action !== input.action || (latest.note ?? undefined) !== (input.note ?? undefined)) return false;
  if (input.action !== 'edit') return true;
  return latest.edit?.instruction === input.instruction && latest.edit?.output === input.output;
}
