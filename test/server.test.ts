import path from 'node:path';
import { request as httpRequest } from 'node:http';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../src/http.js';
import { cliCommand, connectClient, makeApp, makeWorld, sentinels, serveHttp, textOf, type TestWorld } from './helpers.js';
import type { App } from '../src/app.js';

const expectedTools = [
  'check_setup', 'budget_status', 'set_budget', 'plan_budget', 'list_documents', 'distill_file', 'start_cascade', 'start_ensemble',
  'run_status', 'list_runs', 'cancel_run', 'resume_run', 'review_samples', 'export_dataset', 'evaluate_model',
];

function rawPost(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}/mcp`, { method: 'POST', headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end(body);
  });
}

function assertNoSecrets(text: string) {
  for (const secret of Object.values(sentinels)) expect(text).not.toContain(secret);
}

describe('MCP server', () => {
  let world: TestWorld;
  let app: App;
  beforeAll(async () => {
    world = await makeWorld();
    app = await makeApp(world);
  });
  afterAll(async () => {
    await app.close();
    await world.cleanup();
  });

  it('lists every tool with an output schema and annotations, and answers budget_status in memory', async () => {
    const client = await connectClient(app);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...expectedTools].sort());
    for (const tool of tools) {
      expect(tool.outputSchema, tool.name).toBeDefined();
      expect(tool.annotations?.readOnlyHint, tool.name).toBeTypeOf('boolean');
      expect(tool.description!.length, tool.name).toBeGreaterThan(60);
    }
    const result = await client.callTool({ name: 'budget_status', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/\$0\.00 of \$100\.00 spent/);
    expect(result.structuredContent).toMatchObject({ budget_usd: 100, reserve_usd: 20, spent_usd: 0, available_for_runs_usd: 80 });
    const setup = await client.callTool({ name: 'check_setup', arguments: {} });
    expect((setup.structuredContent as { ready: boolean }).ready).toBe(true);
    assertNoSecrets(JSON.stringify(setup));
    assertNoSecrets(JSON.stringify(result));
    await client.close();
  });

  it('check_setup names the variable to set for a provider without a key, and never shows a key', async () => {
    const bare = await makeWorld({ env: { ANTHROPIC_API_KEY: '' } });
    const bareApp = await makeApp(bare);
    const client = await connectClient(bareApp);
    const setup = await client.callTool({ name: 'check_setup', arguments: {} });
    expect(textOf(setup)).toContain('anthropic has no API key: set ANTHROPIC_API_KEY');
    expect((setup.structuredContent as { ready: boolean }).ready).toBe(false);
    assertNoSecrets(JSON.stringify(setup));
    await client.close();
    await bareApp.close();
    await bare.cleanup();
  });

  it('serves a spawned stdio process: tools/list and budget_status, logs on stderr only', async () => {
    const transport = new StdioClientTransport({
      command: cliCommand[0],
      args: [...cliCommand.slice(1), 'serve'],
      env: { ...(process.env as Record<string, string>), ...world.env },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('budget_status');
    const result = await client.callTool({ name: 'budget_status', arguments: {} });
    expect(textOf(result)).toMatch(/of \$100\.00 spent/);
    await client.close();
    assertNoSecrets(stderr);
  });

  describe('over HTTP', () => {
    async function listen(hostApp: App, token?: string) {
      return { ...(await serveHttp(hostApp)), token };
    }

    it('serves tools over Streamable HTTP and reports health', async () => {
      const http = await listen(app);
      const health = await fetch(`${http.url}/healthz`);
      expect(await health.json()).toMatchObject({ ok: true, name: 'distillery' });
      const client = new Client({ name: 'http-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`)));
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual([...expectedTools].sort());
      const result = await client.callTool({ name: 'budget_status', arguments: {} });
      expect(result.structuredContent).toMatchObject({ budget_usd: 100 });
      await client.close();
      await http.stop();
    });

    it('refuses a foreign Host or Origin (DNS rebinding)', async () => {
      const http = await listen(app);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      // fetch drops a Host header, so these go through node:http, as a rebinding browser's would arrive.
      expect(await rawPost(http.url, body, { ...headers, host: 'evil.example' })).toBe(403);
      expect(await rawPost(http.url, body, { ...headers, origin: 'http://evil.example' })).toBe(403);
      expect(await rawPost(http.url, body, { ...headers, origin: 'http://localhost:5173' })).toBe(200);
      await http.stop();
    });

    it('demands the bearer token when DISTILLERY_TOKEN is set, and refuses to bind beyond loopback without one', async () => {
      const tokenWorld = await makeWorld({ env: { DISTILLERY_TOKEN: 'test-token-0123456789abcdef' } });
      const tokenApp = await makeApp(tokenWorld);
      const http = await listen(tokenApp);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      expect((await fetch(`${http.url}/mcp`, { method: 'POST', body, headers })).status).toBe(401);
      expect((await fetch(`${http.url}/mcp`, { method: 'POST', body, headers: { ...headers, authorization: 'Bearer wrong-token-000000000000' } })).status).toBe(401);
      const client = new Client({ name: 'http-token-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer test-token-0123456789abcdef' } } }));
      expect((await client.listTools()).tools.length).toBe(expectedTools.length);
      await client.close();
      await http.stop();
      await tokenApp.close();
      await tokenWorld.cleanup();
      expect(() => createHttpApp(app, { host: '0.0.0.0', port: 0 })).toThrowError(/DISTILLERY_TOKEN/);
    });
  });
});

describe('narrowRoots', () => {
  it('keeps only folders allowed both by DISTILLERY_ROOTS and by the client', async () => {
    const { narrowRoots } = await import('../src/server.js');
    expect(narrowRoots(['/data'], undefined)).toEqual(['/data']);
    expect(narrowRoots(['/data'], ['/data/legal'])).toEqual(['/data/legal']);
    expect(narrowRoots(['/data/legal'], ['/data'])).toEqual(['/data/legal']);
    expect(narrowRoots(['/data'], ['/elsewhere'])).toEqual([]);
  });
});
