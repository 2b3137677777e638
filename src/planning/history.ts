/**
 * What completed runs really cost: each run's metrics.json (total cost and approved pairs) and the
 * models it used, grouped so an estimate is calibrated only with runs of the same pipeline and models.
 * Completed runs never change, so each is read once per process.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { readJsonl } from '../store/jsonl.js';
import type { RunKind, RunRecord } from '../store/catalog.js';
import type { Services } from '../services.js';
import { journalFile, runDir, runFilesFor } from '../pipelines/run-files.js';

export interface PastRun {
  runId: string;
  kind: RunKind;
  /** 'stage_a' for a cascade that stopped after stage A, else 'full'. */
  variant: 'full' | 'stage_a';
  /** The models by role, as `modelSignature` writes them. */
  models: string;
  costUsd: number;
  /** Approved pairs (raw pairs for a stage-A-only cascade). */
  units: number;
  /** A full cascade's raw pairs generated and pairs in train plus golden: its measured approval rate. */
  funnel?: { generated: number; delivered: number };
  finishedAt: string;
}

/** The parts of a pipeline's metrics.json read here; every pipeline writes cost_usd.total and counts. */
interface MetricsShape {
  cost_usd?: number | { total?: unknown };
  counts?: { approved?: unknown; generated?: unknown; train?: unknown; golden?: unknown };
  stage_a_only?: unknown;
  funnel?: { stage_a?: { model?: unknown }; stage_b?: { model?: unknown }; stage_c?: { model?: unknown } };
  teachers?: unknown[];
  judge?: unknown;
}

/** At most this many recent completed runs of each kind are read; older ones say little about today's prices. */
const perKindLimit = 40;

const cache = new WeakMap<Services, Map<string, PastRun | null>>();

/** "generate=deepseek/x; validate=anthropic/y": roles sorted, models of a role sorted and de-duplicated. */
export function modelSignature(byRole: Record<string, string[]>): string {
  return Object.keys(byRole)
    .filter((role) => byRole[role]!.length > 0)
    .sort()
    .map((role) => `${role}=${[...new Set(byRole[role])].sort().join(',')}`)
    .join('; ');
}

export async function loadHistory(services: Services): Promise<PastRun[]> {
  let known = cache.get(services);
  if (!known) cache.set(services, (known = new Map()));
  const history: PastRun[] = [];
  const read: Record<string, number> = {};
  // Newest first; a distillation's journal may be megabytes, so stop reading a kind once enough are known.
  for (const run of services.catalog.listRuns({ status: 'completed' })) {
    if (run.kind === 'evaluate') continue; // makes no samples: nothing to calibrate a dataset run on
    if ((read[run.kind] = (read[run.kind] ?? 0) + 1) > perKindLimit) continue;
    if (!known.has(run.id)) known.set(run.id, await readPastRun(services, run).catch(() => null));
    const past = known.get(run.id);
    if (past) history.push(past);
  }
  return history;
}

async function readPastRun(services: Services, run: RunRecord): Promise<PastRun | null> {
  const dir = runDir(services.config.home, run.id);
  const metrics = JSON.parse(await readFile(path.join(dir, runFilesFor(run.kind).metrics), 'utf8')) as MetricsShape;
  const costUsd = typeof metrics.cost_usd === 'number' ? metrics.cost_usd : metrics.cost_usd?.total;
  const stageAOnly = run.kind === 'cascade' && (metrics.stage_a_only === true || run.params.stage_a_only === true);
  const units = stageAOnly ? metrics.counts?.generated : metrics.counts?.approved;
  if (typeof costUsd !== 'number' || !Number.isFinite(costUsd) || costUsd < 0 || typeof units !== 'number' || units <= 0) return null;
  const models = modelsFromMetrics(run.kind, metrics, stageAOnly) ?? (await modelsFromJournal(path.join(dir, journalFile)));
  if (!models) return null;
  const { generated, train, golden } = metrics.counts ?? {};
  const funnel = run.kind === 'cascade' && !stageAOnly && typeof generated === 'number' && generated > 0 && typeof train === 'number' && typeof golden === 'number' ? { generated, delivered: train + golden } : undefined;
  return { runId: run.id, kind: run.kind, variant: stageAOnly ? 'stage_a' : 'full', models, costUsd, units, ...(funnel ? { funnel } : {}), finishedAt: run.finishedAt ?? run.updatedAt };
}

/** Cascade and ensemble metrics name their models; a distillation's only record of them is its journal. */
function modelsFromMetrics(kind: RunKind, metrics: MetricsShape, stageAOnly: boolean): string | undefined {
  const text = (value: unknown) => (typeof value === 'string' && value.includes('/') ? [value] : []);
  if (kind === 'cascade' && metrics.funnel?.stage_a?.model) {
    const funnel = metrics.funnel;
    return modelSignature(stageAOnly ? { generate: text(funnel.stage_a?.model) } : { generate: text(funnel.stage_a?.model), format: text(funnel.stage_b?.model), validate: text(funnel.stage_c?.model) });
  }
  if (kind === 'ensemble' && Array.isArray(metrics.teachers) && typeof metrics.judge === 'string') {
    return modelSignature({ answer: metrics.teachers.filter((name): name is string => typeof name === 'string'), judge: text(metrics.judge) });
  }
  return undefined;
}

/** Roles from stage names (distill.generate -> generate); set-up stages that any run may or may not have are left out. */
async function modelsFromJournal(file: string): Promise<string | undefined> {
  const byRole: Record<string, Set<string>> = {};
  for await (const record of readJsonl<{ stage?: string; provider?: string; model?: string; outcome?: string }>(file)) {
    if (record.outcome !== 'ok' || !record.stage || !record.provider || !record.model) continue;
    const role = record.stage.split('.').pop()!;
    if (role === 'expand' || role === 'prompts') continue;
    (byRole[role] ??= new Set()).add(`${record.provider}/${record.model}`);
  }
  const signature = modelSignature(Object.fromEntries(Object.entries(byRole).map(([role, models]) => [role, [...models]])));
  return signature || undefined;
}
