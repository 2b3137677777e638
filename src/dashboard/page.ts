/**
 * The dashboard page: one self-contained HTML file built from dashboard/ by `npm run build`
 * (vite with vite-plugin-singlefile) into dist/dashboard-page/index.html. Served as the MCP App
 * resource and at /dashboard.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistilleryError } from '../errors.js';

export const dashboardUri = 'ui://distillery/dashboard.html';

/** Both src/dashboard (tsx, tests) and dist/dashboard (the package) sit two levels below the package root. */
export const dashboardFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'dashboard-page', 'index.html');

let cached: Promise<string> | undefined;

export function dashboardHtml(): Promise<string> {
  cached ??= readFile(dashboardFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    cached = undefined;
    throw new DistilleryError(
      'dashboard_missing',
      `The dashboard page ${dashboardFile} could not be read (${error.code ?? error.message}). Run \`npm run build\` to build it.`,
    );
  });
  return cached;
}
