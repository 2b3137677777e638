/** `distillery dashboard`: the HTTP server on loopback, printing the page's address, serving the page. */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliCommand, makeWorld, type TestWorld } from '../helpers.js';
import { ensureDashboardBuilt } from './page-build.js';

let world: TestWorld;

beforeAll(async () => {
  await ensureDashboardBuilt();
  world = await makeWorld();
});

afterAll(async () => {
  await world?.cleanup();
});

describe('distillery dashboard', () => {
  it('serves the dashboard on 127.0.0.1 and prints where', async () => {
    const child = spawn(cliCommand[0], [...cliCommand.slice(1), 'dashboard', '--port', '0'], { cwd: world.dir, env: { ...process.env, ...world.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let output = '';
      const address = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          output += String(chunk);
          const match = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard)\s/.exec(output);
          if (match) resolve(match[1]!);
        });
        child.stderr.on('data', (chunk) => (output += String(chunk)));
        child.once('exit', (code) => reject(new Error(`dashboard exited with ${code} before printing its address:\n${output}`)));
      });
      const page = await fetch(address);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Distillery dashboard</title>');
      const budget = await fetch(address.replace(/dashboard$/, 'dashboard/api/tools/budget_status'), { method: 'POST', headers: { 'content-type': 'application/json', origin: new URL(address).origin }, body: '{}' });
      expect(((await budget.json()) as { structuredContent: { budget_usd: number } }).structuredContent.budget_usd).toBe(100);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
});
