/** How a run reads in chat and in structuredContent: shared by every run tool. */
import { z } from 'zod';
import type { App } from '../app.js';
import type { RunRecord } from '../store/catalog.js';
import type { ProgressData } from '../pipelines/progress.js';
import { duration, percent, usd } from '../util/format.js';

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
  batches: z.array(batchView).optional(),
  created_at: z.string(),
  finished_at: z.string().optional(),
  folder: z.string(),
});
export type RunView = z.infer<typeof runView>;

export function viewRun(app: App, run: RunRecord): RunView {
  const live = app.engine.liveProgress(run.id);
  const progress = (live ? live.snapshot() : run.progress) as Partial<ProgressData> & { etaSeconds?: number };
  const counts = progress.counts ?? {};
  const approved = counts.approved ?? 0;
  const judged = approved + (counts.rejected ?? 0);
  const eta = live ? live.etaSeconds() : undefined;
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
    ...(batches.length ? { batches } : {}),
    created_at: run.createdAt,
    ...(run.finishedAt ? { finished_at: run.finishedAt } : {}),
    folder: app.engine.runDir(run.id),
  };
}

const verbs: Record<string, string> = { distill: 'distilling', cascade: 'cascade for', ensemble: 'ensemble on' };

/** One or two sentences a person can read: "Run r-... distilling legal_guide.txt: 212 of 420 pairs validated, ..." */
export function describeRun(view: RunView): string {
  const subject = `Run ${view.run_id} ${verbs[view.kind] ?? view.kind} ${view.name.replace(/ \d{4}-\d{2}-\d{2}$/, '')}`;
  const validate = Object.entries(view.stages).find(([name]) => name.endsWith('validate'))?.[1];
  const parts: string[] = [];
  if (validate) parts.push(`${validate.done} of ${validate.total ?? '?'} pairs validated`);
  else if (view.counts.generated) parts.push(`${view.counts.generated} pairs generated`);
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
  const out = (view.batches ?? []).filter((batch) => batch.state !== 'ended');
  const tail = (failures ? ` ${failures} calls failed for good (see last_errors).` : '') + (out.length ? ` ${out.length} batch${out.length === 1 ? '' : 'es'} out (${out.reduce((sum, batch) => sum + batch.requests, 0)} requests), expected by ${out.map((batch) => batch.expected_by).filter(Boolean).sort().at(-1) ?? 'unknown'}.` : '');
  // A pause or failure message is a sentence of its own: one full stop, not two.
  return `${subject}: ${parts.join(', ').replace(/\.$/, '')}.${tail}`;
}
