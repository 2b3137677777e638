/**
 * The dashboard's quality and review extras in a browser, at /dashboard: rejection reasons with
 * examples, approval by task type, each sample's source (chunk text or topic) beside the judge's
 * reason, an ensemble's agreement histogram, and the budget's projection to month end, each checked
 * against what the tools themselves answer.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { hasChromium, skipNote } from './browser.js';
import { seedDashboard, seedOtherRuns, taskTypes, type DashboardFixture, type OtherRuns } from './fixtures.js';
import { openStandalone } from './standalone.js';

let app: App;
let client: Client;
let fixture: DashboardFixture;
let others: OtherRuns;
let page: Page;
let foreign: string[];
let close: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const opened = await openStandalone(async (app) => ({ others: await seedOtherRuns(app), fixture: await seedDashboard(app) }));
  ({ app, client, foreign, close } = opened);
  ({ fixture, others } = opened.seeded);
  page = opened.page!;
});

afterAll(async () => close?.());

interface Summary {
  top_rejection_reasons: { reason: string; count: number }[];
  by_task_type: { name: string; approved: number; rejected: number; approval_rate: number | null }[];
}
const review = async (args: Record<string, unknown>) =>
  (await client.callTool({ name: 'review_samples', arguments: { limit: 100, ...args } })).structuredContent as { samples: { id: string }[]; summary: Summary };

async function openRun(runId: string, tab: string): Promise<void> {
  await page.click('[data-tab=run]');
  await page.selectOption('[data-run-picker]', runId);
  await page.waitForSelector(`[data-view=run] [data-run-picker] option[value="${runId}"][selected]`, { state: 'attached' });
  await page.click(`[data-tab=${tab}]`);
}

describe(`dashboard quality, review source and budget projection in chromium${skipNote}`, () => {
  it.skipIf(!hasChromium)('projects the spend to month end at the daily rate so far, as a dashed line from today', async () => {
    const series = JSON.parse((await page.getAttribute('[data-chart=burn-down]', 'data-series'))!) as { spent: (number | null)[]; projection: (number | null)[] };
    const budget = (await client.callTool({ name: 'budget_status', arguments: {} })) as unknown as { structuredContent: { spent_usd: number }; _meta: { 'distillery/burn_down': { days: unknown[]; days_in_month: number } } };
    const today = budget._meta['distillery/burn_down'].days.length;
    const daysInMonth = budget._meta['distillery/burn_down'].days_in_month;
    const spent = budget.structuredContent.spent_usd;
    expect(series.projection).toHaveLength(daysInMonth);
    expect(series.projection.slice(0, today - 1).every((value) => value === null)).toBe(true);
    expect(series.projection[today - 1]).toBeCloseTo(spent, 6);
    expect(series.projection.at(-1)).toBeCloseTo((spent / today) * daysInMonth, 5);
    expect(await page.textContent('[data-chart=burn-down] .u-legend')).toContain("projection at this month's daily rate so far");
  });

  it.skipIf(!hasChromium)('lists the top rejection reasons with the first samples review_samples gives for each, and approval by task type', async () => {
    await page.click('[data-tab=quality]');
    await page.waitForSelector('[data-view=quality] [data-reasons]');
    const { summary } = await review({ run_id: fixture.runId });
    expect(summary.top_rejection_reasons.length).toBeGreaterThan(0);
    for (const { reason } of summary.top_rejection_reasons.slice(0, 3)) {
      const filtered = await review({ run_id: fixture.runId, status: 'rejected', rejection_reason: reason });
      const shown = await page.locator(`[data-reason="${reason}"] [data-example]`).evaluateAll((items) => items.map((item) => item.getAttribute('data-example')));
      expect(shown).toEqual(filtered.samples.slice(0, 2).map((sample) => sample.id));
    }
    // The fixture's sample i has task type i % 3 and is approved unless i % 5 === 0.
    for (const [position, name] of taskTypes.entries()) {
      const indexes = Array.from({ length: fixture.total }, (_, index) => index).filter((index) => index % 3 === position);
      const expected = indexes.filter((index) => index % 5 !== 0).length / indexes.length;
      expect(summary.by_task_type.find((group) => group.name === name)?.approval_rate).toBeCloseTo(expected, 9);
      expect(Number(await page.getAttribute(`[data-bars=task-type] [data-label=${name}]`, 'data-value'))).toBeCloseTo(expected, 9);
    }
  });

  it.skipIf(!hasChromium)("shows each sample's topic, subtopic and task type beside the judge's reason", async () => {
    await page.click('[data-tab=review]');
    const selected = page.locator('[data-samples] li.selected');
    await selected.waitFor();
    const id = (await selected.getAttribute('data-sample-id'))!;
    const index = Number(id.split('-').at(-1));
    const topic = (await review({ run_id: fixture.runId })).samples.find((sample) => sample.id === id) as unknown as { topic: string };
    expect(await page.textContent(`[data-detail="${id}"] [data-source] p`)).toBe(`${topic.topic} › subtopic ${index % 2} › ${taskTypes[index % 3]}`);
    expect(await page.textContent(`[data-detail="${id}"] .judge p`)).toBeTruthy();
  });

  it.skipIf(!hasChromium)('shows a distilled sample beside the text of the chunk it was written from', async () => {
    await openRun(others.distillId, 'review');
    await page.waitForSelector(`[data-detail^="${others.distillId}"] [data-source]`);
    expect(await page.textContent('[data-detail] [data-source] p')).toBe(others.chunkText);
  });

  it.skipIf(!hasChromium)("draws an ensemble's agreement distribution from consensus.jsonl", async () => {
    await openRun(others.ensembleId, 'quality');
    await page.waitForSelector('[data-chart=agreement] canvas');
    const series = JSON.parse((await page.getAttribute('[data-chart=agreement]', 'data-series'))!) as { count: number[] };
    const expected = new Array<number>(10).fill(0);
    for (const agreement of others.agreements) expected[Math.min(9, Math.floor(agreement * 10))]!++;
    expect(series.count).toEqual(expected);
    // A cascade run has no agreement: the chart is not drawn for it.
    await openRun(fixture.runId, 'quality');
    await page.waitForSelector('[data-view=quality] [data-reasons]');
    expect(await page.locator('[data-chart=agreement]').count()).toBe(0);
    expect(foreign).toEqual([]);
  });
});
