/** metrics.json of an ensemble run: counts, agreement, votes, position of the winner, and cost per sample. */
import type { RunContext } from '../engine.js';
import type { EnsembleParams } from './teacher-prompts.js';
import type { EnsembleSample } from './consensus.js';

/** The seed's anchor for an ensemble sample, in US dollars. */
export const seedAnchorPerSampleUsd = { low: 0.15, high: 0.5 };

/** Running totals over judged samples, so a long run keeps no sample in memory. */
export class EnsembleTally {
  judged = 0;
  agreementSum = 0;
  readonly agreementBuckets = { below_0_5: 0, from_0_5_to_0_8: 0, from_0_8: 0 };
  readonly bestVotes: Record<string, number> = {};
  readonly scores: Record<string, { sum: number; count: number }> = {};
  /** How often the winning answer sat in each position: a check on position bias. */
  readonly bestPosition: Record<string, number> = {};
  readonly methods = { picked: 0, merged: 0 };

  add(sample: EnsembleSample): void {
    this.judged++;
    this.agreementSum += sample.agreement;
    const bucket = sample.agreement < 0.5 ? 'below_0_5' : sample.agreement < 0.8 ? 'from_0_5_to_0_8' : 'from_0_8';
    this.agreementBuckets[bucket]++;
    this.bestVotes[sample.votes.best] = (this.bestVotes[sample.votes.best] ?? 0) + 1;
    const best = sample.perspectives.find((p) => p.teacher === sample.votes.best);
    if (best) this.bestPosition[best.label] = (this.bestPosition[best.label] ?? 0) + 1;
    for (const perspective of sample.perspectives) {
      const entry = (this.scores[perspective.teacher] ??= { sum: 0, count: 0 });
      entry.sum += perspective.score;
      entry.count++;
    }
    this.methods[sample.consensus.method]++;
  }
}

export function ensembleMetrics(context: RunContext<EnsembleParams>, run: { prompts: number; tally: EnsembleTally; costByTeacher: Record<string, number>; seconds: number }) {
  const { params, progress, services, runId } = context;
  const data = progress.snapshot();
  const counts = data.counts;
  const { tally } = run;
  const approved = counts.approved ?? 0;
  const rejected = counts.rejected ?? 0;
  const pending = counts.pending ?? 0;
  const decided = approved + rejected;
  const stage = (name: string) => data.stages[name];
  const round = (value: number) => Math.round(value * 1e6) / 1e6;
  return {
    run_id: runId,
    pipeline: 'ensemble',
    source: describeSource(params),
    teachers: params.teachers,
    ...(params.dropped_teachers?.length ? { dropped_teachers: params.dropped_teachers } : {}),
    judge: `${services.config.stages.judge.provider}/${services.config.stages.judge.model}`,
    thresholds: { min_score: params.min_score, min_agreement: params.min_agreement },
    counts: {
      prompts: run.prompts,
      teacher_answers: stage('ensemble.answer')?.ok ?? 0,
      answer_failures: stage('ensemble.answer')?.failed ?? 0,
      judged: tally.judged,
      judge_failures: stage('ensemble.judge')?.failed ?? 0,
      approved,
      pending,
      rejected,
      preference_pairs: counts.preference_pairs ?? 0,
      preference_pairs_skipped: counts.preference_pairs_skipped ?? 0,
      ...(counts.prompts_generated !== undefined ? { prompts_generated: counts.prompts_generated, duplicate_prompts: counts.duplicate_prompts ?? 0, prompts_short: counts.prompts_short ?? 0 } : {}),
    },
    approval_rate: decided ? approved / decided : 0,
    pending_rate: tally.judged ? pending / tally.judged : 0,
    agreement: { mean: tally.judged ? round(tally.agreementSum / tally.judged) : null, ...tally.agreementBuckets },
    votes_for_best: tally.bestVotes,
    mean_score_by_teacher: Object.fromEntries(Object.entries(tally.scores).map(([teacher, s]) => [teacher, round(s.sum / s.count)])),
    best_answer_position: tally.bestPosition,
    consensus_method: tally.methods,
    drop_reasons: data.drops,
    retried_attempts: data.retries,
    cost_usd: {
      total: data.costUsd,
      prompts: stage('ensemble.prompts')?.costUsd ?? 0,
      answer: stage('ensemble.answer')?.costUsd ?? 0,
      judge: stage('ensemble.judge')?.costUsd ?? 0,
      by_teacher: run.costByTeacher,
      /** Everything this run paid, including calls for a teacher dropped on resume. */
      spent_by_run: services.ledger.runSpent(runId),
    },
    cost_per_sample_usd: tally.judged ? data.costUsd / tally.judged : null,
    cost_per_approved_sample_usd: approved ? data.costUsd / approved : null,
    seed_anchor_per_sample_usd: seedAnchorPerSampleUsd,
    tokens: { input: data.usage.inputTokens, cached_input: data.usage.cachedInputTokens, cache_write: data.usage.cacheWriteTokens + data.usage.cacheWrite1hTokens, output: data.usage.outputTokens },
    calls: { paid: data.paidCalls, replayed_from_journal: data.replayedCalls },
    durations_seconds: { this_session: run.seconds, total: data.elapsedSeconds },
  };
}

function describeSource(params: EnsembleParams): Record<string, unknown> {
  const { source } = params;
  if (source.kind === 'file') return { kind: 'file', file: source.file.relative };
  if (source.kind === 'run') return { kind: 'run', run_id: source.run_id, run_name: source.run_name };
  return { kind: 'domain', domain: source.domain };
}
