import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { makeApp, makeWorld, serveHttp, type TestWorld } from '../helpers.js';
import { expectNoSecrets, snapshotOutsideHome } from './guards.js';

const token = 'hostile-token-0123456789abcdef';
let world: TestWorld;
let app: App;
let url: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  world = await makeWorld({ env: { DISTILLERY_TOKEN: token } });
  app = await makeApp(world);
  const http = await serveHttp(app, { maxBodyBytes: 4096 });
  url = `${http.url}/mcp`;
  stop = http.stop;
});
afterAll(async () => {
  await stop();
  await app.close();
  await world.cleanup();
});

/** node:http, because fetch will not send a foreign Host header. */
function post(body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers }, (response) => {
      let text = '';
      response.on('data', (chunk) => (text += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const bearer = { authorization: `Bearer ${token}` };
const huge = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'budget_status', arguments: { padding: 'x'.repeat(64 * 1024) } } });

describe('the HTTP endpoint refuses hostile requests', () => {
  const cases: [string, string, Record<string, string>, number, RegExp][] = [
    ['missing token', listTools, base, 401, /Send the DISTILLERY_TOKEN as .{0,2}Authorization: Bearer <token>/],
    ['wrong token', listTools, { ...base, authorization: 'Bearer wrong-token-0123456789abcd' }, 401, /Send the DISTILLERY_TOKEN/],
    ['token without Bearer', listTools, { ...base, authorization: token }, 401, /Send the DISTILLERY_TOKEN/],
    ['token one character short', listTools, { ...base, authorization: `Bearer ${token.slice(0, -1)}` }, 401, /Send the DISTILLERY_TOKEN/],
    ['wrong Host', listTools, { ...base, ...bearer, host: 'evil.example' }, 403, /host|Host/],
    ['wrong Host with the right port', listTools, { ...base, ...bearer, host: 'evil.example:80' }, 403, /host|Host/],
    ['wrong Origin', listTools, { ...base, ...bearer, origin: 'http://evil.example' }, 403, /origin|Origin/],
    ['oversized body', huge, { ...base, ...bearer }, 413, /too large|size|exceed/i],
  ];
  it.each(cases)('%s', async (_label, body, headers, status, message) => {
    const before = await snapshotOutsideHome(world);
    const response = await post(body, headers);
    expect(response.status, response.text).toBe(status);
    expect(response.text).toMatch(message);
    expect(response.text).not.toContain('"tools"');
    expectNoSecrets(response.text);
    expect(response.text).not.toContain(token);
    expect(await snapshotOutsideHome(world)).toEqual(before);
  });

  it('still answers a well-formed request with the token (the refusals above are not blanket)', async () => {
    const response = await post(listTools, { ...base, ...bearer });
    expect(response.status).toBe(200);
    expect(response.text).toContain('budget_status');
  });
});
