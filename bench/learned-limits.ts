/**
 * Rate limits learned from the provider: the fake enforces `limit` requests a minute per model (a
 * sliding or fixed window, 429 with retry-after above it) and sends OpenAI's and Anthropic's limit
 * headers; Distillery runs with no requests_per_minute in config (the built-in guess is 500) and
 * more calls waiting than the limit allows, through the real SDKs, for `windowSeconds`. Measured at
 * the fake: requests it served from the first request of a provider to the window's end, against
 * the limit for that time, and the share of requests answered 429. The fake runs in its own process
 * (bench/learned-fake.ts), so its work does not slow the Distillery it measures; both use the
 * machine's clock, so the times compare.
 * Run directly: node --import tsx bench/learned-limits.ts [limit] [windowSeconds] [sliding|fixed]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Flavour } from '../test/fakes/provider-server.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/util/log.js';
import { fakeEnvironment } from './fake-app.js';
import type { FakeReport } from './learned-fake.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface LearnedLimitResult {
  limit: number;
  window: 'sliding' | 'fixed';
  windowSeconds: number;
  latencyMs: number;
  providers: Record<'openai' | 'anthropic', { served: number; rateLimited: number; usedOfLimit: number; share429: number; learnedRpm: number; source: string }>;
}

const answer = z.object({ answer: z.string() });
/** Callers per provider: twice the default concurrency of 16, so calls always wait at the limiter. */
const callers = 32;

/** Starts bench/learned-fake.ts in its own process and waits for its base URLs. */
async function startFake(limit: number, window: string, latencyMs: number): Promise<{ child: ChildProcess; baseUrls: Record<Flavour, string> }> {
  const child = fork(path.join(here, 'learned-fake.ts'), [String(limit), window, String(latencyMs)], { execArgv: ['--import', 'tsx'] });
  const baseUrls = await new Promise<Record<Flavour, string>>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { baseUrls: Record<Flavour, string> }).baseUrls));
    child.once('exit', (code) => reject(new Error(`the fake exited ${code} before it served`)));
  });
  return { child, baseUrls };
}

function report(child: ChildProcess): Promise<FakeReport> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as FakeReport));
    child.send('report');
  });
}

export async function benchLearnedLimits(options: { limit: number; windowSeconds: number; window?: 'sliding' | 'fixed'; latencyMs?: number }): Promise<LearnedLimitResult> {
  const window = options.window ?? 'sliding';
  const latencyMs = options.latencyMs ?? 50;
  const { child, baseUrls } = await startFake(options.limit, window, latencyMs);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-limits-'));
  const docs = path.join(folder, 'docs');
  await mkdir(docs);
  const configFile = path.join(folder, 'config.json');
  // No requests_per_minute anywhere: the pace starts at the built-in guess and follows the headers.
  await writeFile(configFile, JSON.stringify({}));
  const environment = fakeEnvironment({ baseUrl: (flavour) => baseUrls[flavour] }, { home: path.join(folder, 'home'), docs, configFile, budgetUsd: 100_000 });
  const config = loadConfig({ cwd: folder, dotenv: false, env: environment });
  const app = await createApp(config, { log: silentLogger });
  const end = Date.now() + options.windowSeconds * 1000;
  const work = async (role: 'format' | 'validate') => {
    while (Date.now() < end) {
      await app.services.llm.complete({ stage: `bench.${role}`, role, system: 'Answer in JSON.', prompt: 'Two plus two?', schema: answer, schemaName: 'answer' });
    }
  };
  try {
    await Promise.all((['format', 'validate'] as const).flatMap((role) => Array.from({ length: callers }, () => work(role))));
    const seen = await report(child);
    const paces = app.services.llm.rateLimits([]);
    const result = (flavour: 'openai' | 'anthropic') => {
      const times = seen.served[flavour];
      const first = times[0] ?? end;
      const inWindow = times.filter((at) => at < end).length;
      const rateLimited = seen.refused[flavour];
      const pace = paces.find((entry) => entry.provider === flavour)!;
      return {
        served: inWindow,
        rateLimited,
        usedOfLimit: inWindow / ((options.limit * (end - first)) / 60_000),
        share429: rateLimited / (times.length + rateLimited),
        learnedRpm: pace.requestsPerMinute,
        source: pace.source,
      };
    };
    return { limit: options.limit, window, windowSeconds: options.windowSeconds, latencyMs, providers: { openai: result('openai'), anthropic: result('anthropic') } };
  } finally {
    await app.close();
    child.kill();
    await rm(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [limit, windowSeconds, window] = process.argv.slice(2);
  const result = await benchLearnedLimits({ limit: Number(limit) || 600, windowSeconds: Number(windowSeconds) || 60, window: window === 'fixed' ? 'fixed' : 'sliding' });
  console.log(JSON.stringify(result, null, 2));
}
