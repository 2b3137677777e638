/**
 * The dashboard with 100,000 judged samples in a run and 30,000 calls in the month's ledger, over
 * loopback HTTP as the browser page calls it (POST /dashboard/api/tools/{name}):
 *   review page: review_samples with the page's page size (20), full text (max_chars 20,000), the
 *   score histogram in _meta, varied filters, cursors and decisions: p50 / p95;
 *   dashboard data: budget_status (with the burn-down), list_runs and run_status, one round each, computed
 *   in process (callTool, as the route runs them) and as the page fetches them over HTTP: p50 / p95;
 *   first render: headless chromium from navigation to the burn-down chart drawn (median of 5 loads).
 * Run alone: node --expose-gc --import tsx bench/dashboard.ts (after npm run build)
 */
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve as serveNode } from '@hono/node-server';
import { createHttpApp } from '../src/http.js';
import { callTool, type ToolContext } from '../src/tools/define.js';
import { budgetStatusTool } from '../src/tools/budget-status.js';
import { listRunsTool } from '../src/tools/list-runs.js';
import { runStatusTool } from '../src/tools/run-status.js';
import { launchBrowser, hasChromium } from '../test/dashboard/browser.js';
import { benchApp, writeBenchRun } from './review-export.js';

export interface DashboardBenchResult {
  samples: number;
  ledgerEntries: number;
  review: { calls: number; p50Ms: number; p95Ms: number };
  data: { rounds: number; p50Ms: number; p95Ms: number };
  dataOverHttp: { rounds: number; p50Ms: number; p95Ms: number };
  firstRenderMs: number[] | null;
}

const percentile = (times: number[], fraction: number) => [...times].sort((a, b) => a - b)[Math.min(times.length - 1, Math.floor(fraction * times.length))]!;

function reviewArgs(index: number, cursor: string | null, samples: number): Record<string, unknown> {
  const base = { run_id: 'r-bench-dashboard', limit: 20, max_chars: 20_000 };
  if (cursor && index % 4 === 3) return { cursor, max_chars: 20_000 };
  switch (index % 6) {
    case 0: return base;
    case 1: return { ...base, status: 'rejected' };
    case 2: return { ...base, status: 'approved', difficulty: 'hard' };
    case 3: return { ...base, min_score: 4, max_score: 6 };
    case 4: return { ...base, query: 'case' };
    default: return { ...base, decisions: [{ sample_id: `r-bench-dashboard-${(index * 7919) % samples}`, action: index % 2 ? 'reject' : 'approve', note: 'bench' }] };
  }
}

export async function benchDashboard(samples = 100_000, ledgerEntries = 30_000): Promise<DashboardBenchResult> {
  const { app, folder } = await benchApp();
  const { hono, close } = createHttpApp(app, { host: '127.0.0.1', port: 0 });
  const server = serveNode({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (name: string, args: Record<string, unknown>) => {
    const response = await fetch(`${base}/dashboard/api/tools/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: base }, body: JSON.stringify(args) });
    const result = (await response.json()) as { isError?: boolean; structuredContent?: Record<string, unknown>; content?: unknown };
    if (result.isError) throw new Error(`${name}: ${JSON.stringify(result.content)}`);
    return result;
  };
  try {
    await writeBenchRun(app, 'r-bench-dashboard', samples, 0.8);
    const month = app.services.guard.status().month;
    const usage = { inputTokens: 900, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 400 };
    for (let index = 0; index < ledgerEntries; index++) {
      const at = new Date(Date.parse(`${month}-01T00:00:00Z`) + (index % 27) * 86_400_000 + index).toISOString();
      await app.services.ledger.append({ at, month, runId: 'r-bench-dashboard', stage: ['stage_a_generate', 'stage_b_format', 'stage_c_validate'][index % 3]!, provider: ['deepseek', 'openai', 'anthropic'][index % 3]!, model: 'm', usage, reservedUsd: 0.002, costUsd: 0.001, outcome: 'ok', durationMs: 1 });
    }
    await call('review_samples', { run_id: 'r-bench-dashboard', limit: 20 }); // builds the index once
    await call('review_samples', { run_id: 'r-bench-dashboard', query: 'dose' }); // and the word lists
    const reviewTimes: number[] = [];
    let cursor: string | null = null;
    for (let index = 0; index < 180; index++) {
      const started = performance.now();
      const result = await call('review_samples', reviewArgs(index, cursor, samples));
      reviewTimes.push(performance.now() - started);
      cursor = (result.structuredContent as { next_cursor: string | null }).next_cursor;
    }
    const context: ToolContext = { app, roots: async () => [], progress: async () => undefined };
    const dataTimes: number[] = [];
    for (let round = 0; round < 60; round++) {
      const started = performance.now();
      await callTool(budgetStatusTool, {}, context);
      await callTool(listRunsTool, { limit: 50 }, context);
      await callTool(runStatusTool, { run_id: 'r-bench-dashboard' }, context);
      dataTimes.push(performance.now() - started);
    }
    const httpTimes: number[] = [];
    for (let round = 0; round < 60; round++) {
      const started = performance.now();
      // As the page loads them: budget and runs together, then the run.
      await Promise.all([call('budget_status', {}), call('list_runs', { limit: 50 })]);
      await call('run_status', { run_id: 'r-bench-dashboard' });
      httpTimes.push(performance.now() - started);
    }
    return {
      samples,
      ledgerEntries,
      review: { calls: reviewTimes.length, p50Ms: percentile(reviewTimes, 0.5), p95Ms: percentile(reviewTimes, 0.95) },
      data: { rounds: dataTimes.length, p50Ms: percentile(dataTimes, 0.5), p95Ms: percentile(dataTimes, 0.95) },
      dataOverHttp: { rounds: httpTimes.length, p50Ms: percentile(httpTimes, 0.5), p95Ms: percentile(httpTimes, 0.95) },
      firstRenderMs: hasChromium ? await firstRender(`${base}/dashboard`) : null,
    };
  } finally {
    server.close();
    await close();
    await app.close();
    await rm(folder, { recursive: true, force: true });
  }
}

/** Navigation to the drawn burn-down chart, in a fresh page each time (the browser itself started once). */
async function firstRender(url: string): Promise<number[]> {
  const browser = await launchBrowser();
  try {
    const times: number[] = [];
    for (let load = 0; load < 5; load++) {
      const page = await browser.context.newPage();
      const started = performance.now();
      await page.goto(url);
      await page.waitForSelector('[data-chart=burn-down] canvas');
      times.push(performance.now() - started);
      await page.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchDashboard()));
}
