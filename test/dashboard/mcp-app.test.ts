/**
 * The dashboard as an MCP App, seen from a chat client: tools name the ui:// resource, the resource
 * is the page with honest (empty) CSP metadata, and the page, hosted on ext-apps' AppBridge in a
 * sandboxed iframe, shows what the tool returned and calls tools back through the host.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import type { Frame, Page } from 'playwright-core';
import { build } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { connectClient, makeApp, makeWorld, repoRoot, sentinels, type TestWorld } from '../helpers.js';
import { hasChromium, launchBrowser, skipNote, watchRequests } from './browser.js';
import { seedDashboard, type DashboardFixture } from './fixtures.js';
import type { HostWindow, OpenRequest } from './host/open-request.js';
import { ensureDashboardBuilt } from './page-build.js';

const uri = 'ui://distillery/dashboard.html';
let world: TestWorld;
let app: App;
let client: Client;
let fixture: DashboardFixture;
let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
let hostHtml = '';
let foreign: string[] = [];

/** The test host page, bundled like the dashboard into one file. */
async function buildHost(): Promise<string> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'distillery-test-host-'));
  try {
    await build({ configFile: false, root: path.join(repoRoot, 'test/dashboard/host'), logLevel: 'error', plugins: [viteSingleFile()], build: { outDir: out, emptyOutDir: true } });
    return await readFile(path.join(out, 'index.html'), 'utf8');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await ensureDashboardBuilt();
  world = await makeWorld();
  app = await makeApp(world);
  client = await connectClient(app);
  fixture = await seedDashboard(app);
  if (!hasChromium) return;
  hostHtml = await buildHost();
  browser = await launchBrowser();
  foreign = watchRequests(browser.context, () => false);
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await world?.cleanup();
});

/** Calls a tool as the chat would, then opens its ui:// resource in the host with the result. */
async function openInHost(name: string, args: Record<string, unknown>): Promise<{ page: Page; frame: Frame }> {
  const { tools } = await client.listTools();
  const tool = tools.find((item) => item.name === name)!;
  const resourceUri = (tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri;
  expect(resourceUri).toBe(uri);
  const resource = (await client.readResource({ uri: resourceUri! })).contents[0] as { text: string; _meta?: { ui?: { csp?: OpenRequest['csp'] } } };
  const result = await client.callTool({ name, arguments: args });
  const page = await browser!.context.newPage();
  await page.exposeFunction('callServerTool', (params: { name: string; arguments?: Record<string, unknown> }) => client.callTool(params));
  await page.setContent(hostHtml);
  const request: OpenRequest = { html: resource.text, csp: resource._meta?.ui?.csp ?? {}, tool: { name: tool.name, inputSchema: tool.inputSchema }, args, result: result as Record<string, unknown> };
  await page.evaluate((open) => (globalThis as unknown as HostWindow).openApp(open), request);
  await page.waitForFunction(() => (globalThis as unknown as HostWindow).appReady === true);
  const frame = page.frames().find((item) => item !== page.mainFrame())!;
  return { page, frame };
}

describe('the dashboard MCP App resource', () => {
  it('is named by budget_status, run_status and review_samples, as text/html;profile=mcp-app with no network origins', async () => {
    const { tools } = await client.listTools();
    const named = tools.filter((tool) => (tool._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri === uri).map((tool) => tool.name);
    expect(named.sort()).toEqual(['budget_status', 'review_samples', 'run_status']);
    const { resources } = await client.listResources();
    expect(resources.find((resource) => resource.uri === uri)?.mimeType).toBe('text/html;profile=mcp-app');
    const content = (await client.readResource({ uri })).contents[0] as { mimeType: string; text: string; _meta?: { ui?: { csp?: Record<string, string[]> } } };
    expect(content.mimeType).toBe('text/html;profile=mcp-app');
    expect(content._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] });
    expect(content.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']https?:/);
    for (const key of Object.values(sentinels)) expect(content.text).not.toContain(key);
  });

  it('leaves the text and structuredContent of clients without apps as they were', async () => {
    const result = await client.callTool({ name: 'budget_status', arguments: {} });
    expect((result.content as { text: string }[])[0]!.text).toMatch(/^\d{4}-\d{2}: \$3\.75 of \$100\.00 spent/);
    expect(Object.keys(result.structuredContent!)).not.toContain('days');
  });
});

describe(`the dashboard in an MCP Apps host (ext-apps AppBridge in chromium)${skipNote}`, () => {
  it.skipIf(!hasChromium)('"how much budget is left?": budget_status opens on the burn-down with its numbers, loading nothing from the network', async () => {
    const { page, frame } = await openInHost('budget_status', {});
    await frame.waitForSelector('[data-view=budget] [data-chart=burn-down] canvas');
    const series = JSON.parse((await frame.getAttribute('[data-chart=burn-down]', 'data-series'))!) as { spent: (number | null)[] };
    expect(series.spent.slice(0, 2)).toEqual([fixture.daySpend[0], fixture.daySpend[0] + fixture.daySpend[1]]);
    expect(await frame.textContent('[data-kpi=spent] .kpi-value')).toBe('$3.75');
    // The run tab's figures came through the host: run_status called back by the page.
    await frame.click('[data-tab=run]');
    await frame.waitForSelector('[data-stage=stage_c_validate]');
    expect(foreign).toEqual([]);
    await page.close();
  });

  it.skipIf(!hasChromium)('"review run X": review_samples opens the keyboard review, and a decision made there comes back from review_samples', async () => {
    const { page, frame } = await openInHost('review_samples', { run_id: fixture.runId, status: 'pending' });
    await frame.waitForSelector('[data-view=review] [data-matched="0"]');
    // It keeps the chat's filter: every sample is judged, so none is pending.
    expect(await frame.inputValue('[data-filters] select[name=status]')).toBe('pending');
    await frame.selectOption('[data-filters] select[name=status]', 'approved');
    await frame.click('[data-filters] [data-apply]');
    await frame.waitForSelector('[data-samples] li.selected');
    await frame.click('[data-samples] li.selected');
    const id = (await frame.getAttribute('[data-samples] li.selected', 'data-sample-id'))!;
    await page.keyboard.press('r');
    await frame.locator('[data-message]', { hasText: `${id}: approved → rejected` }).waitFor();
    const check = await client.callTool({ name: 'review_samples', arguments: { run_id: fixture.runId, status: 'rejected', limit: 100 } });
    const sample = (check.structuredContent as { samples: { id: string; human?: { action: string; by: string } }[] }).samples.find((item) => item.id === id);
    // Recorded exactly as review_samples records a chat decision: by the MCP client that relayed it.
    expect(sample?.human).toMatchObject({ action: 'reject', by: 'distillery-test' });
    for (const key of Object.values(sentinels)) expect(await frame.content()).not.toContain(key);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
