/**
 * /dashboard's HTTP face without a browser: the page's security headers, and the tool endpoint's
 * refusals (another origin, no token beyond loopback, unknown tools and arguments).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { createHttpApp } from '../../src/http.js';
import { makeApp, makeWorld, sentinels, serveHttp, type TestWorld } from '../helpers.js';
import { seedDashboard } from './fixtures.js';
import { ensureDashboardBuilt } from './page-build.js';

let world: TestWorld;
let app: App;
let server: Awaited<ReturnType<typeof serveHttp>>;

beforeAll(async () => {
  await ensureDashboardBuilt();
  world = await makeWorld({ env: { DISTILLERY_TOKEN: 'dashboard-token-0123456789abcdef' } });
  app = await makeApp(world);
  await seedDashboard(app);
  server = await serveHttp(app);
});

afterAll(async () => {
  await server?.stop();
  await app?.close();
  await world?.cleanup();
});

const call = (name: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/dashboard/api/tools/${name}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: server.url, authorization: 'Bearer dashboard-token-0123456789abcdef', ...headers }, body: JSON.stringify(body) });

describe('/dashboard over HTTP', () => {
  it('serves the page with a CSP that lets it reach only this server, and no secret in it', async () => {
    const response = await fetch(`${server.url}/dashboard`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'.*connect-src 'self'/);
    const html = await response.text();
    expect(html).toContain('<title>Distillery dashboard</title>');
    for (const secret of [...Object.values(sentinels), 'dashboard-token-0123456789abcdef']) expect(html).not.toContain(secret);
  });

  it('answers a tool call from the page with the same result MCP gives, _meta included', async () => {
    const response = await call('budget_status', {});
    expect(response.status).toBe(200);
    const result = (await response.json()) as { structuredContent: { spent_usd: number }; _meta: Record<string, { days: unknown[] }> };
    expect(result.structuredContent.spent_usd).toBeCloseTo(3.75, 6);
    expect(result._meta['distillery/burn_down']!.days.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses another origin, a missing Origin and a missing or wrong token, before any decision is applied', async () => {
    const decision = { run_id: 'r-dashboard-test', decisions: [{ sample_id: 'r-dashboard-test-1', action: 'reject' }] };
    const foreign = await call('review_samples', decision, { origin: 'http://127.0.0.1:1' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { message: string }).message).toMatch(/must come from the dashboard page/);
    const noOrigin = await fetch(`${server.url}/dashboard/api/tools/review_samples`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer dashboard-token-0123456789abcdef' }, body: JSON.stringify(decision) });
    expect(noOrigin.status).toBe(403);
    expect((await call('review_samples', decision, { authorization: '' })).status).toBe(401);
    expect((await call('review_samples', decision, { authorization: 'Bearer wrong-token-0123456789abcdefgh' })).status).toBe(401);
    expect(app.services.catalog.decisions('r-dashboard-test')).toEqual([]);
  });

  it('names an unknown tool, an unknown argument and a body that is not JSON', async () => {
    const tool = await call('start_cascade', { domain: 'medical', samples: 10 });
    expect(tool.status).toBe(404);
    expect(((await tool.json()) as { message: string }).message).toMatch(/"start_cascade" is not one of them/);
    const argument = await call('run_status', { run: 'r-dashboard-test' });
    expect(argument.status).toBe(400);
    expect(((await argument.json()) as { content: { text: string }[] }).content[0]!.text).toMatch(/^run_status does not know the argument "run", so nothing was done\. Its arguments are: run_id, wait_seconds\./);
    const form = await call('budget_status', {}, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
  });

  it('beyond loopback the endpoint demands the token like /mcp does', async () => {
    const wide = createHttpApp(app, { host: '0.0.0.0', port: 0 });
    const request = (authorization?: string) =>
      wide.hono.request('http://192.168.1.5:8787/dashboard/api/tools/budget_status', { method: 'POST', headers: { host: '192.168.1.5:8787', origin: 'http://192.168.1.5:8787', 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body: '{}' });
    expect((await request()).status).toBe(401);
    expect((await request('Bearer dashboard-token-0123456789abcdef')).status).toBe(200);
    await wide.close();
  });
});
