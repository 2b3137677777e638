/** How a run reads in chat and in structuredContent: shared by every run tool. */
import { z } from 'zod';
import type { App } from '../app.js';
import type { RunRecord } from '../store/catalog.js';
import type { ProgressData } from '../pipelines/progress.js';
import { duration, percent, usd } from '../util/format.js';
import type { CascadeParams } from '../pipelines/cascade/params.js';
import { shortfallSoFar, type Shortfall } from '../pipelines/cascade/target.js';

/** The run_id argument of the run tools. */
export const runReference = z.string().min(1).max(200).optional().describe('Run id (r-...) or readable name; default: the most recent run.');

const batchCounts = z.object({ succeeded: z.number(), errored: z.number(), expired: z.number(), canceled: z.number(), processing: z.number() });
/** A batch of the run at a provider's batch API (batch and auto mode). */
const batchView = z.object({
  provider: z.string(),
  model: z.string(),
  stage: z.string(),
  id: z.string().nullable(),
  requests: z.number(),
  state: z.string(),
  counts: batchCounts.nullable(),
  submitted_at: z.string().nullable(),
  expected_by: z.string().nullable(),
});

export const runView = z.object({
  run_id: z.string(),
  name: z.string(),
  kind: z.string(),
  status: z.enum(['running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted']),
  pause: z.object({ reason: z.string(), message: z.string(), figures: z.record(z.string(), z.number()).optional() }).optional(),
  error: z.string().optional(),
  stages: z.record(z.string(), z.object({ total: z.number().optional(), done: z.number(), ok: z.number(), failed: z.number(), cost_usd: z.number() })),
  counts: z.record(z.string(), z.number()),
  drops: z.record(z.string(), z.number()),
  approval_rate: z.number().nullable(),
  spent_usd: z.number(),
  max_usd: z.number().optional(),
  eta_seconds: z.number().nullable(),
  last_errors: z.array(z.object({ at: z.string(), stage: z.string(), message: z.string() })),
  shortfall: z.object({ target: z.enum(['generated', 'approved']), requested: z.number(), delivered: z.number(), short: z.number(), reason: z.string() }).optional().describe('A cascade that stopped before its target: how many pairs are missing and why.'),
  batches: z.array(batchView).optional(),
  created_at: z.string(),
  finished_at: z.string().optional(),
  folder: z.string(),
  /** Evaluation runs: win, tie and loss rates against the baseline, mean scores, by difficulty and topic, the worst answers. */
  evaluation: z.record(z.string(), z.unknown()).optional(),
});
export type RunView = z.infer<typeof runView>;

export function viewRun(app: App, run: RunRecord): RunView {
  const live = app.engine.liveProgress(run.id);
  const progress = (live ? live.snapshot() : run.progress) as Partial<ProgressData> & { etaSeconds?: number; metrics?: { evaluation?: Record<string, unknown>; shortfall?: Shortfall | null } };
  const counts = progress.counts ?? {};
  const approved = counts.approved ?? 0;
  const judged = approved + (counts.rejected ?? 0);
  const eta = live ? live.etaSeconds() : undefined;
  const shortfall = cascadeShortfall(run, progress);
  const batches = app.engine.liveBatches(run.id) ?? (run.progress.batches as z.infer<typeof batchView>[] | undefined) ?? [];
  return {
    run_id: run.id,
    name: run.name,
    kind: run.kind,
    status: run.status,
    ...(run.pause ? { pause: run.pause } : {}),
    ...(run.error ? { error: run.error } : {}),
    stages: Object.fromEntries(Object.entries(progress.stages ?? {}).map(([name, stage]) => [name, { ...(stage.total !== undefined ? { total: stage.total } : {}), done: stage.done, ok: stage.ok, failed: stage.failed, cost_usd: stage.costUsd }])),
    counts,
    drops: progress.drops ?? {},
    approval_rate: judged ? approved / judged : null,
    spent_usd: app.services.ledger.runSpent(run.id),
    ...(typeof run.params.max_usd === 'number' ? { max_usd: run.params.max_usd } : {}),
    eta_seconds: run.status === 'running' && eta !== undefined ? Math.round(eta) : null,
    last_errors: progress.lastErrors ?? [],
    ...(shortfall ? { shortfall } : {}),
    ...(batches.length ? { batches } : {}),
    created_at: run.createdAt,
    ...(run.finishedAt ? { finished_at: run.finishedAt } : {}),
    folder: app.engine.runDir(run.id),
    ...(run.kind === 'evaluate' ? { evaluation: evaluationOf(progress, counts) } : {}),
  };
}

/** A cascade that ended short says so in its metrics; one that stopped part-way is short by what is still to come. */
function cascadeShortfall(run: RunRecord, progress: Partial<ProgressData> & { metrics?: { shortfall?: Shortfall | null } }): Shortfall | null {
  if (run.kind !== 'cascade' || run.status === 'running') return null;
  if (run.status === 'completed') return progress.metrics?.shortfall ?? null;
  const how = run.status === 'paused' ? `paused (${run.pause?.reason})` : run.status;
  const next = run.status === 'failed' ? `: ${run.error}` : '; resume_run continues it';
  return shortfallSoFar(run.params as unknown as CascadeParams, progress.counts ?? {}, `the run is ${how}${next}`);
}

/** The finished report, or while running the win, tie and loss counts so far. */
function evaluationOf(progress: { metrics?: { evaluation?: Record<string, unknown> } }, counts: Record<string, number>): Record<string, unknown> {
  if (progress.metrics?.evaluation) return progress.metrics.evaluation;
  const graded = (counts.win ?? 0) + (counts.tie ?? 0) + (counts.loss ?? 0);
  const rate = (name: string) => (graded ? (counts[name] ?? 0) / graded : 0);
  return { questions: graded, win_rate: rate('win'), tie_rate: rate('tie'), loss_rate: rate('loss'), partial: true };
}

type EvaluationSummary = { questions?: number; win_rate?: number; tie_rate?: number; loss_rate?: number; mean_score?: number; by_difficulty?: Record<string, EvaluationSummary> };

/** "40 questions graded: 75% won, 10% tied, 15% lost against the baseline, mean score 8.1 (easy 90% won, ...)". */
function describeEvaluation(evaluation: EvaluationSummary): string {
  const rates = (entry: EvaluationSummary) => `${percent(entry.win_rate ?? 0)} won, ${percent(entry.tie_rate ?? 0)} tied, ${percent(entry.loss_rate ?? 0)} lost`;
  const levels = Object.entries(evaluation.by_difficulty ?? {}).map(([level, entry]) => `${level}: ${percent(entry.win_rate ?? 0)} won of ${entry.questions}, mean ${entry.mean_score}`);
  return `${evaluation.questions} questions graded: ${rates(evaluation)} against the baseline${evaluation.mean_score !== undefined ? `, mean score ${evaluation.mean_score}` : ''}${levels.length ? ` (${levels.join('; ')})` : ''}`;
}

const verbs: Record<string, string> = { distill: 'distilling', cascade: 'cascade for', ensemble: 'ensemble on', evaluate: 'evaluating' };

/** One or two sentences a person can read: "Run r-... distilling legal_guide.txt: 212 of 420 pairs validated, ..." */
export function describeRun(view: RunView): string {
  const subject = `Run ${view.run_id} ${verbs[view.kind] ?? view.kind} ${view.name.replace(/ \d{4}-\d{2}-\d{2}$/, '')}`;
  const validate = Object.entries(view.stages).find(([name]) => name.endsWith('validate'))?.[1];
  const parts: string[] = [];
  if (validate) parts.push(`${validate.done} of ${validate.total ?? '?'} pairs validated`);
  else if (view.counts.generated) parts.push(`${view.counts.generated} pairs generated`);
  const evaluation = view.evaluation as EvaluationSummary | undefined;
  if (evaluation?.questions) parts.push(describeEvaluation(evaluation));
  if (view.approval_rate !== null) parts.push(`${percent(view.approval_rate)} approved (${view.counts.approved ?? 0} pairs)`);
  parts.push(`${usd(view.spent_usd)} spent`);
  const status =
    view.status === 'running'
      ? view.eta_seconds !== null ? `${duration(view.eta_seconds)} left` : 'running'
      : view.status === 'paused'
        ? `paused (${view.pause?.reason}): ${view.pause?.message}`
        : view.status === 'failed'
          ? `failed: ${view.error}`
          : view.status;
  parts.push(status);
  const failures = Object.values(view.stages).reduce((sum, stage) => sum + stage.failed, 0);
  const short = view.shortfall ? ` ${view.shortfall.short.toLocaleString('en-US')} of the ${view.shortfall.requested.toLocaleString('en-US')} ${view.shortfall.target} pairs asked for are missing: ${view.shortfall.reason}.` : '';
  const out = (view.batches ?? []).filter((batch) => batch.state !== 'ended');
  const tail = short + (failures ? ` ${failures} calls failed for good (see last_errors).` : '') + (out.length ? ` ${out.length} batch${out.length === 1 ? '' : 'es'} out (${out.reduce((sum, batch) => sum + batch.requests, 0)} requests), expected by ${out.map((batch) => batch.expected_by).filter(Boolean).sort().at(-1) ?? 'unknown'}.` : '');
  // A pause or failure message is a sentence of its own: one full stop, not two.
  return `${subject}: ${parts.join(', ').replace(/\.$/, '')}.${tail}`;
}
