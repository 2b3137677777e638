/**
 * Shared test set-up: a temporary DISTILLERY_HOME and roots, a config whose three providers point
 * at the fake provider server on loopback with sentinel keys, and an App built from it.
 */
import { mkdtemp, rm, copyFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { createApp, type App } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import type { AddressInfo } from 'node:net';
import { serve as serveNode } from '@hono/node-server';
import { createHttpApp } from '../src/http.js';
import { createServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { findCorpusDirectory } from '../bench/chunking.js';
import { distilleryResponder } from './fakes/distillery-responder.js';
import { FakeProviderServer, type Responder } from './fakes/provider-server.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Runs src/cli.ts from any working directory: tsx's loader by absolute URL, not by package name. */
export const cliCommand = [process.execPath, '--import', pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href, path.join(repoRoot, 'src/cli.ts')] as const;
/** The sample documents (examples/, or DISTILLERY_CORPUS): the same folder the bench reads. */
export const corpusDir = findCorpusDirectory();

/** Sentinel keys: no tool result, log line or file may ever contain them. */
export const sentinels = {
  DEEPSEEK_API_KEY: 'SENTINEL-deepseek-key-0123456789abcdef',
  OPENAI_API_KEY: 'SENTINEL-openai-key-0123456789abcdef',
  ANTHROPIC_API_KEY: 'SENTINEL-anthropic-key-0123456789',
};

export interface TestWorld {
  dir: string;
  home: string;
  docs: string;
  env: Record<string, string>;
  config: Readonly<Config>;
  cleanup(): Promise<void>;
}

/** A temporary world; `fake` wires the three providers to the fake server. */
export async function makeWorld(options: { fake?: FakeProviderServer; env?: Record<string, string>; corpus?: string[]; configFile?: Record<string, unknown> } = {}): Promise<TestWorld> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-test-'));
  const home = path.join(dir, 'home');
  const docs = path.join(dir, 'docs');
  await mkdir(docs, { recursive: true });
  for (const name of options.corpus ?? []) await copyFile(path.join(corpusDir, name), path.join(docs, name));
  const env: Record<string, string> = {
    DISTILLERY_HOME: home,
    DISTILLERY_ROOTS: docs,
    ...sentinels,
    ...(options.fake
      ? { DEEPSEEK_BASE_URL: options.fake.baseUrl('deepseek'), OPENAI_BASE_URL: options.fake.baseUrl('openai'), ANTHROPIC_BASE_URL: options.fake.baseUrl('anthropic') }
      : {}),
    ...options.env,
  };
  // Tests do not need real providers' request pacing; a test that studies limits passes its own.
  const fast = { requests_per_minute: 1_000_000 };
  const configFile = options.configFile ?? { providers: { deepseek: fast, openai: fast, anthropic: fast } };
  env.DISTILLERY_CONFIG = path.join(dir, 'distillery.json');
  await writeFile(env.DISTILLERY_CONFIG, JSON.stringify(configFile));
  const config = loadConfig({ env, cwd: dir, dotenv: false });
  return { dir, home, docs, env, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export async function makeApp(world: TestWorld, options: Parameters<typeof createApp>[1] = {}): Promise<App> {
  return createApp(world.config, { log: silentLogger, llm: { retryDelayMs: () => 5 }, ...options });
}

/** A real MCP client connected in memory to a server built from the app. */
export async function connectClient(app: App): Promise<Client> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const server = createServer(app);
  await server.connect(serverTransport);
  const client = new Client({ name: 'distillery-test', version: '1.0.0' });
  await client.connect(clientTransport);
  return client;
}

export function textOf(result: { content?: unknown }): string {
  const content = (result.content ?? []) as { type: string; text?: string }[];
  return content.filter((block) => block.type === 'text').map((block) => block.text).join('\n');
}

export { existsSync };

/**
 * The fake providers for a test file (or describe block): listening from beforeAll to afterAll, and
 * before each test reset to `responder` with no scripted replies and no recorded requests.
 */
export function sharedFake(responder: Responder = distilleryResponder): FakeProviderServer {
  const fake = new FakeProviderServer();
  beforeAll(() => fake.listen());
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.reset();
    fake.responder = responder;
  });
  return fake;
}

/** Serves an app's HTTP face (createHttpApp) on a free loopback port: its base URL, and how to stop it. */
export async function serveHttp(app: App, options: { maxBodyBytes?: number } = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const { hono, close } = createHttpApp(app, { host: '127.0.0.1', port: 0, ...options });
  const server = serveNode({ fetch: hono.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.close();
      await close();
    },
  };
}
