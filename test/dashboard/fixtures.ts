/**
 * A home for the dashboard tests: a judged cascade run with stage progress (its samples carry a
 * subtopic and task type), ledger spend on the first two days of the current budget month, and, for
 * the page test, an older distill run with its chunks and an ensemble run with agreements, so every
 * chart has known numbers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../../src/app.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { monthRange } from '../../src/store/month.js';
import { makeSample, writeCascadeRun, writeRun } from '../export/fixtures.js';

export const taskTypes = ['explain', 'compare', 'summarise'];

export interface DashboardFixture {
  runId: string;
  month: string;
  /** Spend by day: [first day, second day]. */
  daySpend: [number, number];
  approved: number;
  total: number;
}

export async function seedDashboard(app: App, samples = 45): Promise<DashboardFixture> {
  const { run, all } = await writeCascadeRun(app, samples, { id: 'r-dashboard-test' });
  const approved = all.filter((sample) => sample.status === 'approved').length;
  const judged = path.join(app.engine.runDir(run.id), 'stage_c_validated.jsonl');
  const lines = (await readFile(judged, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Sample);
  const withSource = lines.map((sample, index) => ({ ...sample, source: { ...sample.source, topic: sample.topic, subtopic: `subtopic ${index % 2}`, task_type: taskTypes[index % taskTypes.length] } }));
  await writeFile(judged, withSource.map((sample) => JSON.stringify(sample) + '\n').join(''));
  const stage = (total: number, done: number, costUsd: number) => ({ total, done, ok: done, failed: 0, costUsd });
  await app.services.catalog.putRun({
    ...run,
    name: 'dashboard test cascade',
    progress: {
      stages: { stage_a_generate: stage(samples, samples, 0.3), stage_b_format: stage(samples, samples, 0.1), stage_c_validate: stage(samples, samples, 0.2) },
      counts: { generated: samples + 5, duplicates_removed: 5, formatted: samples, approved, rejected: samples - approved },
      drops: { too_short: 2 },
      lastErrors: [],
    },
  });
  const month = app.services.guard.status().month;
  const { start } = monthRange(month, app.config.budget.monthStartDay);
  const daySpend: [number, number] = [1.25, 2.5];
  for (const [day, cost] of daySpend.entries()) {
    const at = new Date(start.getTime() + day * 86_400_000 + 3_600_000).toISOString();
    await app.services.ledger.append({ at, month, runId: run.id, stage: 'stage_a_generate', provider: 'deepseek', model: 'deepseek-chat', usage: { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 500 }, reservedUsd: cost, costUsd: cost, outcome: 'ok', durationMs: 100 });
  }
  return { runId: run.id, month, daySpend, approved, total: samples };
}

export interface OtherRuns {
  distillId: string;
  chunkText: string;
  ensembleId: string;
  /** The agreement of each ensemble sample, as written to consensus.jsonl. */
  agreements: number[];
}

/** A distill run whose samples cite chunk 1 of chunks.jsonl, and an ensemble run, both older than the cascade run. */
export async function seedOtherRuns(app: App): Promise<OtherRuns> {
  const chunkText = 'Deposits are held in a protection scheme within thirty days of payment.';
  const distillSamples = [0, 1, 2].map((index) => makeSample('r-dashboard-distill', index, { source: { file: 'tenancy.md', chunk: 1, run: 'r-dashboard-distill' } }));
  const distill = await writeRun(app, 'distill', { 'chunks.jsonl': [{ index: 0, text: 'An earlier chunk.' }, { index: 1, text: chunkText }], 'validation_results.jsonl': distillSamples }, 'r-dashboard-distill');
  const agreements = [0.95, 1, 0.9, 0.72, 0.55, 0.31];
  const consensus = agreements.map((agreement, index) => ({ ...makeSample('r-dashboard-ensemble', index), agreement }));
  const ensemble = await writeRun(app, 'ensemble', { 'consensus.jsonl': consensus }, 'r-dashboard-ensemble');
  const older = new Date(Date.now() - 86_400_000).toISOString();
  for (const run of [distill, ensemble]) await app.services.catalog.putRun({ ...run, createdAt: older });
  return { distillId: distill.id, chunkText, ensembleId: ensemble.id, agreements };
}
