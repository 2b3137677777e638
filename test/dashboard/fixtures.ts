/**
 * A home for the dashboard tests: a judged cascade run with stage progress, and ledger spend on
 * the first two days of the current budget month, so every chart has known numbers.
 */
import type { App } from '../../src/app.js';
import { monthRange } from '../../src/store/month.js';
import { writeCascadeRun } from '../export/fixtures.js';

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
