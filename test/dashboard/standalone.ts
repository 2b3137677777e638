/**
 * The dashboard served at /dashboard by the HTTP server and opened in chromium, for the page tests:
 * one app with a connected MCP client (to check the page's numbers against the tools' own), and every
 * request the page makes to anywhere else.
 */
import type { Client } from '@modelcontextprotocol/client';
import type { Page } from 'playwright-core';
import type { App } from '../../src/app.js';
import { connectClient, makeApp, makeWorld, serveHttp, type TestWorld } from '../helpers.js';
import { hasChromium, launchBrowser, watchRequests } from './browser.js';
import { ensureDashboardBuilt } from './page-build.js';

export interface Standalone<Seeded> {
  app: App;
  client: Client;
  server: Awaited<ReturnType<typeof serveHttp>>;
  seeded: Seeded;
  /** Undefined where no chromium exists (the tests skip). */
  page?: Page;
  foreign: string[];
  close: () => Promise<void>;
}

/** Seeds the app, serves it, and opens /dashboard once the burn-down is drawn. */
export async function openStandalone<Seeded>(seed: (app: App) => Promise<Seeded>): Promise<Standalone<Seeded>> {
  await ensureDashboardBuilt();
  const world: TestWorld = await makeWorld();
  const app = await makeApp(world);
  const client = await connectClient(app);
  const seeded = await seed(app);
  const server = await serveHttp(app);
  const browser = hasChromium ? await launchBrowser() : undefined;
  const foreign = browser ? watchRequests(browser.context, (url) => url.startsWith(server.url)) : [];
  const page = await browser?.context.newPage();
  await page?.goto(`${server.url}/dashboard`);
  await page?.waitForSelector('[data-chart=burn-down] canvas');
  const close = async () => {
    await browser?.close();
    await server.stop();
    await app.close();
    await world.cleanup();
  };
  return { app, client, server, seeded, page, foreign, close };
}
