/**
 * Debian's chromium driven by playwright-core (no browser download), for the dashboard tests and
 * the first-render bench. Where /usr/bin/chromium is missing the browser tests skip, saying so in
 * their title (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const skipNote = hasChromium ? '' : ` (SKIPPED: no ${chromiumPath}; install Debian's chromium: apt-get install -y chromium)`;

const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh browser profile every time, removed on close. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'distillery-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: chromiumArgs, viewport: { width: 1280, height: 900 } });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Every request the browser makes that is not to `allowed` (or a data: URL): the page must load nothing else. */
export function watchRequests(context: BrowserContext, allowed: (url: string) => boolean): string[] {
  const foreign: string[] = [];
  context.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('data:') && !url.startsWith('about:') && !allowed(url)) foreign.push(url);
  });
  return foreign;
}
