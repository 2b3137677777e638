/** metrics.json for a cascade: the funnel (count, approval and dollars per stage) and the usual totals. */
import type { RunContext } from '../engine.js';
import { subtopicCount, type DomainTemplate } from './domains.js';
import type { CoveragePlan } from './plan.js';
import { cascadeStages, type CascadeParams } from './params.js';

export interface SplitCounts {
  approved: number;
  golden: number;
  leaked: number;
  target: number;
}

const ratio = (part: number, whole: number) => (whole ? part / whole : 0);

/** `planned`: raw pairs planned over every wave (more than the first plan's with target "approved"). */
export function cascadeMetrics(context: RunContext<CascadeParams>, template: DomainTemplate, plan: CoveragePlan, planned: number, split: SplitCounts | undefined, seconds: number) {
  const { params, services } = context;
  const data = context.progress.snapshot();
  const counts = data.counts;
  const drops = data.drops;
  const stage = (name: string) => data.stages[name] ?? { done: 0, ok: 0, failed: 0, costUsd: 0 };
  const generated = counts.generated ?? 0;
  const rawDuplicates = (drops.duplicate_exact ?? 0) + (drops.duplicate_near ?? 0);
  const formatted = counts.formatted ?? 0;
  const unusable = counts.unusable ?? 0;
  const approved = counts.approved ?? 0;
  const rejected = counts.rejected ?? 0;
  const judged = approved + rejected;
  const train = (split?.approved ?? 0) - (split?.golden ?? 0) - (split?.leaked ?? 0);
  const model = (role: 'generate' | 'format' | 'validate') => {
    const target = services.llm.resolve(role);
    return `${target.provider.name}/${target.model}`;
  };
  const funnel = {
    stage_a: {
      model: model('generate'),
      calls: stage(cascadeStages.generate).done,
      failed_calls: stage(cascadeStages.generate).failed,
      requested: planned,
      pairs: generated,
      reasked: counts.stage_a_reasked ?? 0,
      missing: drops.stage_a_missing_pairs ?? 0,
      duplicates_removed: rawDuplicates,
      passed: generated - rawDuplicates,
      approval_rate: ratio(generated - rawDuplicates, generated),
      cost_usd: stage(cascadeStages.generate).costUsd + stage(cascadeStages.expand).costUsd,
    },
    ...(params.stage_a_only
      ? {}
      : {
          stage_b: {
            model: model('format'),
            pairs_in: stage(cascadeStages.format).done,
            formatted,
            failures: stage(cascadeStages.format).failed,
            unusable,
            passed: formatted - unusable,
            approval_rate: ratio(formatted - unusable, formatted),
            cost_usd: stage(cascadeStages.format).costUsd,
          },
          stage_c: {
            model: model('validate'),
            pairs_in: stage(cascadeStages.validate).done,
            approved,
            rejected,
            failures: stage(cascadeStages.validate).failed,
            approval_rate: ratio(approved, judged),
            cost_usd: stage(cascadeStages.validate).costUsd,
          },
          split: {
            approved: split?.approved ?? 0,
            golden: split?.golden ?? 0,
            train,
            dropped_near_golden: split?.leaked ?? 0,
            golden_fraction_target: params.golden_fraction,
            golden_fraction: ratio(split?.golden ?? 0, split?.approved ?? 0),
          },
        }),
  };
  return {
    run_id: context.runId,
    pipeline: 'cascade',
    domain: { input: params.domain.input, kind: params.domain.kind, name: params.domain.name, title: template.title, topics: template.topics.length, subtopics: subtopicCount(template), subtopics_covered: plan.subtopicsCovered },
    samples_requested: params.samples,
    target: params.target ?? 'generated',
    top_up_waves: counts.top_up_waves ?? 0,
    stage_a_only: params.stage_a_only,
    plan: { calls: plan.batches.length, pairs_per_call: params.pairs_per_call, by_difficulty: plan.byDifficulty, by_topic: plan.byTopic },
    funnel,
    counts: {
      generated,
      duplicates_removed: counts.duplicates_removed ?? 0,
      formatted,
      unusable,
      validated: judged,
      approved,
      rejected,
      golden: split?.golden ?? 0,
      train,
      dropped_near_golden: split?.leaked ?? 0,
    },
    approval_rate: ratio(approved, judged),
    approval_target: 0.75,
    drop_reasons: drops,
    retried_attempts: data.retries,
    top_rejection_reasons: Object.entries(drops).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([reason, count]) => ({ reason, count })),
    cost_usd: {
      total: data.costUsd,
      expand: stage(cascadeStages.expand).costUsd,
      generate: stage(cascadeStages.generate).costUsd,
      format: stage(cascadeStages.format).costUsd,
      validate: stage(cascadeStages.validate).costUsd,
    },
    cost_per_approved_pair_usd: approved ? data.costUsd / approved : null,
    cost_per_raw_pair_usd: generated ? data.costUsd / generated : null,
    tokens: { input: data.usage.inputTokens, cached_input: data.usage.cachedInputTokens, cache_write: data.usage.cacheWriteTokens + data.usage.cacheWrite1hTokens, output: data.usage.outputTokens },
    calls: { paid: data.paidCalls, replayed_from_journal: data.replayedCalls },
    durations_seconds: { this_session: seconds, total: data.elapsedSeconds },
  };
}
