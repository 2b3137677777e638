/**
 * The dashboard tests read the built page (dist/dashboard-page/index.html) as the server does. CI
 * builds it with `npm run build` first; here it is built again only when missing or older than its
 * sources, into a temporary folder and then moved into place, so two test files never see half a file.
 */
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { dashboardFile } from '../../src/dashboard/page.js';
import { repoRoot } from '../helpers.js';

async function newestSource(): Promise<number> {
  const folder = path.join(repoRoot, 'dashboard');
  const files = (await readdir(folder, { recursive: true })).map((name) => path.join(folder, name));
  const times = await Promise.all(files.map(async (file) => (await stat(file)).mtimeMs));
  return Math.max(...times);
}

export async function ensureDashboardBuilt(): Promise<void> {
  const built = await stat(dashboardFile).then((info) => info.mtimeMs, () => 0);
  if (built >= (await newestSource())) return;
  const out = await mkdtemp(path.join(os.tmpdir(), 'distillery-dashboard-build-'));
  try {
    await build({ configFile: path.join(repoRoot, 'dashboard', 'vite.config.ts'), logLevel: 'error', build: { outDir: out, emptyOutDir: true } });
    await mkdir(path.dirname(dashboardFile), { recursive: true });
    await rename(path.join(out, 'index.html'), dashboardFile);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
