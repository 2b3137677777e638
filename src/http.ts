/**
 * Streamable HTTP at /mcp and a health check at /healthz, on hono. Loopback by default, with Host
 * and Origin checks against DNS rebinding; binding beyond loopback requires DISTILLERY_TOKEN, and
 * then every request must carry it as a bearer token. /dashboard serves the dashboard page (dashboard-routes.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import { createMcpHonoApp } from '@modelcontextprotocol/hono';
import { createMcpHandler } from '@modelcontextprotocol/server';
import type { Hono, MiddlewareHandler } from 'hono';
import { ConfigError } from './errors.js';
import type { App } from './app.js';
import { version } from './app.js';
import { createServer } from './server.js';
import { mountDashboard } from './dashboard-routes.js';

export interface HttpOptions {
  host: string;
  port: number;
  /** Largest JSON body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopbackHost(host: string): boolean {
  return loopbackHosts.has(host) || host.startsWith('127.');
}

export function createHttpApp(app: App, options: HttpOptions): { hono: Hono; close: () => Promise<void> } {
  const loopback = isLoopbackHost(options.host);
  const token = app.config.token;
  if (!loopback && !token) {
    throw new ConfigError(
      `Refusing to serve on ${options.host}: beyond loopback anyone on the network could spend your budget. Set DISTILLERY_TOKEN (at least 16 random characters) or bind to 127.0.0.1.`,
    );
  }
  const handler = createMcpHandler(() => createServer(app), { onerror: (error) => app.services.log.warn('mcp http error', { error: error.message }) });
  const hono = createMcpHonoApp({ host: loopback ? '127.0.0.1' : options.host, maxRequestBodySize: options.maxBodyBytes ?? 1024 * 1024 });
  hono.get('/healthz', (c) => c.json({ ok: true, name: 'distillery', version }));
  const requireToken = token ? bearerToken(token) : undefined;
  if (requireToken) hono.use('/mcp', requireToken);
  hono.all('/mcp', (c) => handler.fetch(c.req.raw, { parsedBody: c.get('parsedBody' as never) }));
  mountDashboard(hono, app, requireToken);
  return { hono, close: () => handler.close() };
}

function bearerToken(token: string): MiddlewareHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  return async (c, next) => {
    const given = Buffer.from(c.req.header('authorization') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return c.json({ error: 'unauthorized', message: 'Send the DISTILLERY_TOKEN as "Authorization: Bearer <token>".' }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    await next();
  };
}
