/**
 * Takes the README's two screenshots (docs/dashboard.png, docs/review.png) of the dashboard in
 * headless chromium, over a made-up but realistic month: 2,000 judged samples of a medical cascade
 * and spend across three providers on a dozen days.
 * Run: npm run build && node --import tsx bench/screenshots.ts
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve as serveNode } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createHttpApp } from '../src/http.js';
import { monthRange } from '../src/store/month.js';
import { silentLogger } from '../src/util/log.js';
import { launchBrowser } from '../test/dashboard/browser.js';
import type { App } from '../src/app.js';
import { screenshotSamples } from './screenshot-samples.js';

const docs = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs');

async function main(): Promise<void> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-screens-'));
  const config = loadConfig({ cwd: folder, dotenv: false, env: { DISTILLERY_HOME: path.join(folder, 'home'), DISTILLERY_ROOTS: folder } });
  const app = await createApp(config, { log: silentLogger });
  const runId = 'r-medical-2000';
  const month = app.services.guard.status().month;
  const { start } = monthRange(month, config.budget.monthStartDay);
  const providers = [['deepseek', 'deepseek-chat', 'stage_a_generate'], ['openai', 'gpt-4o-mini', 'stage_b_format'], ['anthropic', 'claude-haiku-4-5', 'stage_c_validate']] as const;
  for (let day = 0; day < 12; day++) {
    for (const [index, [provider, model, stage]] of providers.entries()) {
      const costUsd = (day % 4 === 3 ? 0.4 : 2.2) * (index === 2 ? 1.6 : index === 1 ? 0.5 : 1) + (day % 3) * 0.3;
      const at = new Date(start.getTime() + day * 86_400_000 + 3_600_000 * (index + 1)).toISOString();
      await app.services.ledger.append({ at, month, runId, stage, provider, model, usage: { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 500 }, reservedUsd: costUsd, costUsd, outcome: 'ok', durationMs: 900 });
    }
  }
  await writeRun(app, runId, 2000);
  const { hono, close } = createHttpApp(app, { host: '127.0.0.1', port: 0 });
  const server = serveNode({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`;
  const browser = await launchBrowser();
  try {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 1200, height: 860 });
    await page.goto(url);
    await page.waitForSelector('[data-chart=burn-down] canvas');
    await page.screenshot({ path: path.join(docs, 'dashboard.png'), fullPage: true });
    await page.click('[data-tab=review]');
    await page.selectOption('[data-filters] select[name=status]', 'rejected');
    await page.click('[data-filters] [data-apply]');
    await page.waitForSelector('[data-samples] li.selected');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.screenshot({ path: path.join(docs, 'review.png') });
  } finally {
    await browser.close();
    server.close();
    await close();
    await app.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** A finished cascade: its judged samples, and counters whose stage costs are the ledger's. */
async function writeRun(app: App, runId: string, count: number): Promise<void> {
  const samples = [...screenshotSamples(runId, count)];
  const dir = app.engine.runDir(runId);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'stage_c_validated.jsonl'), samples.map((sample) => JSON.stringify(sample) + '\n').join(''));
  const approved = samples.filter((sample) => sample.status === 'approved').length;
  const byStage = app.services.guard.status().byStage;
  const stage = (name: string, total: number) => ({ total, done: total, ok: total, failed: 0, costUsd: byStage[name] ?? 0 });
  const generated = Math.round(count * 1.06);
  const golden = Math.ceil(approved / 10);
  const now = new Date().toISOString();
  await app.services.catalog.putRun({
    id: runId, name: 'medical cascade 2026-12-01', kind: 'cascade', status: 'completed', params: {}, createdAt: now, updatedAt: now, finishedAt: now, spentUsd: 0,
    progress: {
      stages: { stage_a_generate: stage('stage_a_generate', Math.ceil(generated / 5)), stage_b_format: stage('stage_b_format', generated), stage_c_validate: stage('stage_c_validate', count) },
      counts: { generated, duplicates_removed: generated - count, formatted: count, approved, rejected: count - approved, golden, train: approved - golden },
      drops: {},
      lastErrors: [],
    },
  });
}

await main();
