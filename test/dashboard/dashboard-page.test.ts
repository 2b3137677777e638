/**
 * The dashboard in a browser, served at /dashboard by the HTTP server: charts with the numbers the
 * tools give, keyboard review whose decisions review_samples then returns, no secret on the page,
 * and no cross-site or tokenless calls.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { sentinels } from '../helpers.js';
import { hasChromium, skipNote } from './browser.js';
import { seedDashboard, type DashboardFixture } from './fixtures.js';
import { openStandalone, type Standalone } from './standalone.js';

let app: App;
let client: Client;
let server: Standalone<DashboardFixture>['server'];
let fixture: DashboardFixture;
let page: Page;
let foreign: string[];
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const opened = await openStandalone(seedDashboard);
  ({ app, client, server, foreign, close, seeded: fixture } = opened);
  page = opened.page!;
});

afterAll(async () => close?.());

const reviewPage = async (args: Record<string, unknown>) => (await client.callTool({ name: 'review_samples', arguments: { run_id: fixture.runId, limit: 100, ...args } })).structuredContent as { samples: { id: string; status: string; human?: { action: string; by: string } }[] };

describe(`dashboard page at /dashboard in chromium${skipNote}`, () => {
  it.skipIf(!hasChromium)("draws the month's burn-down and the budget figures budget_status gives", async () => {
    const series = JSON.parse((await page.getAttribute('[data-chart=burn-down]', 'data-series'))!) as { spent: (number | null)[]; budget: number[]; runs_line: number[] };
    const [first, second] = fixture.daySpend;
    expect(series.spent.slice(0, 2)).toEqual([first, first + second]);
    const budget = (await client.callTool({ name: 'budget_status', arguments: {} })).structuredContent as { budget_usd: number; reserve_usd: number; spent_usd: number };
    expect(series.budget[0]).toBe(budget.budget_usd);
    expect(series.runs_line[0]).toBeCloseTo(budget.budget_usd - budget.reserve_usd, 6);
    expect(await page.textContent('[data-kpi=spent] .kpi-value')).toBe(`$${budget.spent_usd.toFixed(2)}`);
    expect(await page.getAttribute('[data-bars=provider] [data-label=deepseek]', 'data-value')).toBe(String(first + second));
    expect(foreign).toEqual([]);
  });

  it.skipIf(!hasChromium)("shows the run's funnel, dollars per approved sample and the score histogram", async () => {
    await page.click('[data-tab=run]');
    await page.waitForSelector('[data-view=run] [data-stage=stage_a_generate]');
    expect(await page.getAttribute('[data-bars=funnel] [data-label=approved]', 'data-value')).toBe(String(fixture.approved));
    expect(await page.getAttribute('[data-bars=drops] [data-label=duplicates_removed]', 'data-value')).toBe('5');
    expect(await page.textContent('[data-stage=stage_a_generate] [data-per-approved]')).toBe(`$${(0.3 / fixture.approved).toFixed(4)}`);
    await page.click('[data-tab=quality]');
    const histogram = JSON.parse((await page.getAttribute('[data-chart=score-histogram]', 'data-series'))!) as { total: number[]; approved: number[] };
    expect(histogram.total.reduce((sum, value) => sum + value, 0)).toBe(fixture.total);
    expect(histogram.approved.reduce((sum, value) => sum + value, 0)).toBe(fixture.approved);
    await page.waitForSelector('[data-chart=score-histogram] canvas');
  });

  it.skipIf(!hasChromium)('reviews by keyboard: j/k move, a approves, r rejects, u undoes, each decision as review_samples records it', async () => {
    await page.click('[data-tab=review]');
    await page.selectOption('[data-filters] select[name=status]', 'rejected');
    await page.click('[data-filters] [data-apply]');
    await page.waitForSelector(`[data-matched="${fixture.total - fixture.approved}"] ~ .review li.selected`);
    const rejected = (await reviewPage({ status: 'rejected' })).samples.map((sample) => sample.id);
    expect(await page.getAttribute('[data-samples] li.selected', 'data-sample-id')).toBe(rejected[0]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    expect(await page.getAttribute('[data-samples] li.selected', 'data-sample-id')).toBe(rejected[1]);
    await page.keyboard.press('a');
    await expectStatus(page, rejected[1]!, 'approved');
    const approvedNow = (await reviewPage({})).samples.find((sample) => sample.id === rejected[1]);
    expect(approvedNow).toMatchObject({ status: 'approved', human: { action: 'approve', by: 'human' } });
    // The rejected filter dropped it from the list: the selection is now on the next rejected sample.
    expect(await page.getAttribute('[data-samples] li.selected', 'data-sample-id')).toBe(rejected[2]);
    await page.keyboard.press('u');
    await page.locator(`[data-samples] li[data-sample-id="${rejected[1]}"]`).waitFor();
    expect((await reviewPage({})).samples.find((sample) => sample.id === rejected[1])?.status).toBe('rejected');
    const decisions = app.services.catalog.decisions(fixture.runId).filter((decision) => decision.sampleId === rejected[1]);
    expect(decisions.map((decision) => decision.action)).toEqual(['approve', 'reject']);
  });

  it.skipIf(!hasChromium)('edits with e and Ctrl+Enter: the new output is kept, the original beside it', async () => {
    await page.selectOption('[data-filters] select[name=status]', '');
    await page.click('[data-filters] [data-apply]');
    await page.waitForSelector(`[data-matched="${fixture.total}"] ~ .review li.selected`);
    const id = (await page.getAttribute('[data-samples] li.selected', 'data-sample-id'))!;
    await page.keyboard.press('e');
    await page.fill('[data-detail] textarea[name=output]', 'A corrected answer written in the dashboard.');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('[data-detail] .human');
    const sample = (await reviewPage({})).samples.find((item) => item.id === id) as { output?: string; original?: { output: string }; human?: { action: string } };
    expect(sample).toMatchObject({ output: 'A corrected answer written in the dashboard.', human: { action: 'edit' } });
    expect(sample.original?.output).toBeTruthy();
  });

  it.skipIf(!hasChromium)('exports the chosen format and split, and shows the rows written', async () => {
    await page.click('[data-tab=export]');
    await page.selectOption('[data-export] select[name=format]', 'llama-factory');
    await page.selectOption('[data-export] select[name=split]', 'all');
    await page.click('[data-export] [data-apply]');
    const result = page.locator('[data-export-result]');
    await result.waitFor();
    const folder = (await result.locator('p.muted').textContent())!.replace(/^Written to /, '');
    const rows = await result.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]));
    expect(rows.map(([name]) => name)).toEqual(expect.arrayContaining(['train.jsonl', 'golden.jsonl', 'dataset_info.json']));
    for (const [name, count] of rows.filter(([name]) => name!.endsWith('.jsonl'))) {
      const lines = (await readFile(path.join(folder, name!), 'utf8')).split('\n').filter(Boolean).length;
      expect(String(lines)).toBe(count!.replace(/,/g, ''));
    }
  });

  it.skipIf(!hasChromium)('holds no secret: neither the page nor anything it was sent', async () => {
    const html = await page.content();
    const served = await (await fetch(`${server.url}/dashboard`)).text();
    for (const key of Object.values(sentinels)) {
      expect(html).not.toContain(key);
      expect(served).not.toContain(key);
    }
    expect(foreign).toEqual([]);
  });
});

/** The page's message line reports each decision as review_samples answered it. */
async function expectStatus(page: Page, id: string, status: string): Promise<void> {
  await page.locator('[data-message]', { hasText: `${id}: rejected → ${status}` }).waitFor();
}
