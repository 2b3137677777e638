/**
 * A run's review summary, after human decisions: approval rate overall and by difficulty, topic and
 * stage (and task type, for cascades), the top rejection reasons, cost per approved pair and whether the 75% target is met.
 */
import { difficultyNames, type SampleIndex } from './sample-index.js';

export const approvalTarget = 0.75;

export interface GroupStats {
  name: string;
  total: number;
  approved: number;
  rejected: number;
  pending: number;
  approval_rate: number | null;
}

export interface ReviewSummary {
  total: number;
  approved: number;
  rejected: number;
  pending: number;
  approval_rate: number | null;
  approval_target: number;
  target_met: boolean | null;
  by_difficulty: GroupStats[];
  by_topic: GroupStats[];
  topics_total: number;
  by_stage: GroupStats[];
  /** Empty for runs whose samples carry no task type (distill, ensemble). */
  by_task_type: GroupStats[];
  top_rejection_reasons: { reason: string; count: number }[];
  human: { reviewed: number; approved: number; rejected: number; edited: number };
  spent_usd: number;
  cost_per_approved_usd: number | null;
}

const rate = (approved: number, rejected: number) => (approved + rejected > 0 ? approved / (approved + rejected) : null);

/** Counts per group id and status in one flat array: three numbers per id. */
class Groups {
  private counts: number[] = [];
  add(key: number, status: number): void {
    const at = key * 3 + status;
    this.counts[at] = (this.counts[at] ?? 0) + 1;
  }
  list(name: (key: number) => string): GroupStats[] {
    const groups: GroupStats[] = [];
    for (let key = 0; key * 3 < this.counts.length; key++) {
      const [approved = 0, rejected = 0, pending = 0] = this.counts.slice(key * 3, key * 3 + 3);
      if (approved + rejected + pending === 0) continue;
      groups.push({ name: name(key) || '(none)', total: approved + rejected + pending, approved, rejected, pending, approval_rate: rate(approved, rejected) });
    }
    return groups.sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
  }
}

export function summarize(index: SampleIndex, spentUsd: number): ReviewSummary {
  const totals = [0, 0, 0];
  const difficulty = new Groups();
  const topic = new Groups();
  const stage = new Groups();
  const taskType = new Groups();
  const reasons = new Map<string, number>();
  for (let ordinal = 0; ordinal < index.size; ordinal++) {
    const status = index.status[ordinal]!;
    totals[status]!++;
    difficulty.add(index.difficulty[ordinal]!, status);
    topic.add(index.topic[ordinal]!, status);
    stage.add(index.stage[ordinal]!, status);
    taskType.add(index.taskType[ordinal]!, status);
    if (status === 1) {
      const label = index.rejectionLabel(ordinal);
      reasons.set(label, (reasons.get(label) ?? 0) + 1);
    }
  }
  const human = { reviewed: index.overlays.size, approved: 0, rejected: 0, edited: 0 };
  for (const [ordinal, overlay] of index.overlays) {
    if (overlay.status === 'rejected') human.rejected++;
    else human.approved++;
    if (index.overlayText.has(ordinal)) human.edited++;
  }
  const [approved, rejected, pending] = totals as [number, number, number];
  const approvalRate = rate(approved, rejected);
  const topics = topic.list((key) => index.labels.topic.names[key]!);
  return {
    total: index.size,
    approved,
    rejected,
    pending,
    approval_rate: approvalRate,
    approval_target: approvalTarget,
    target_met: approvalRate === null ? null : approvalRate >= approvalTarget,
    by_difficulty: difficulty.list((key) => difficultyNames[key]!),
    by_topic: topics.slice(0, 15),
    topics_total: topics.length,
    by_stage: stage.list((key) => index.labels.stage.names[key]!),
    by_task_type: taskType.list((key) => index.labels.taskType.names[key]!).filter((group) => group.name !== '(none)'),
    top_rejection_reasons: [...reasons.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([reason, count]) => ({ reason, count })),
    human,
    spent_usd: spentUsd,
    cost_per_approved_usd: approved > 0 ? spentUsd / approved : null,
  };
}
