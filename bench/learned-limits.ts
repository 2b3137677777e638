/**
 * Rate limits learned from the provider: the fake enforces `limit` requests a minute per model (a
 * sliding or fixed window, 429 with retry-after above it) and sends OpenAI's and Anthropic's limit
 * headers; Distillery runs with no requests_per_minute in config (the built-in guess is 500) and
 * more calls waiting than the limit allows, through the real SDKs, for `windowSeconds`. Measured at
 * the fake: requests it served from the first request of a provider to the window's end, against
 * the limit for that time, and the share of requests answered 429.
 * Run directly: node --import tsx bench/learned-limits.ts [limit] [windowSeconds] [sliding|fixed]
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FakeProviderServer, reply, type Flavour } from '../test/fakes/provider-server.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/util/log.js';
import { fakeEnvironment } from './fake-app.js';

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

export async function benchLearnedLimits(options: { limit: number; windowSeconds: number; window?: 'sliding' | 'fixed'; latencyMs?: number }): Promise<LearnedLimitResult> {
  const window = options.window ?? 'sliding';
  const latencyMs = options.latencyMs ?? 50;
  const served: Record<Flavour, number[]> = { openai: [], anthropic: [], deepseek: [] };
  const fake = await FakeProviderServer.start({
    latencyMs,
    responder: (request) => {
      served[request.flavour].push(performance.now());
      return reply.json({ answer: '4' });
    },
  });
  fake.rateLimits.configure({ requestsPerMinute: options.limit, window, enforce: true });
  const trim = setInterval(() => (fake.requests.length = 0), 1000);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-limits-'));
  const docs = path.join(folder, 'docs');
  await mkdir(docs);
  const configFile = path.join(folder, 'config.json');
  // No requests_per_minute anywhere: the pace starts at the built-in guess and follows the headers.
  await writeFile(configFile, JSON.stringify({}));
  const config = loadConfig({ cwd: folder, dotenv: false, env: fakeEnvironment(fake, { home: path.join(folder, 'home'), docs, configFile, budgetUsd: 100_000 }) });
  const app = await createApp(config, { log: silentLogger });
  const started = performance.now();
  const end = started + options.windowSeconds * 1000;
  const work = async (role: 'format' | 'validate') => {
    while (performance.now() < end) {
      await app.services.llm.complete({ stage: `bench.${role}`, role, system: 'Answer in JSON.', prompt: 'Two plus two?', schema: answer, schemaName: 'answer' });
    }
  };
  try {
    await Promise.all((['format', 'validate'] as const).flatMap((role) => Array.from({ length: callers }, () => work(role))));
    const paces = app.services.llm.rateLimits([]);
    const result = (flavour: 'openai' | 'anthropic') => {
      const times = served[flavour];
      const first = times[0] ?? end;
      const inWindow = times.filter((at) => at < end).length;
      const rateLimited = fake.rateLimits.refused[flavour];
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
    clearInterval(trim);
    await app.close();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [limit, windowSeconds, window] = process.argv.slice(2);
  const result = await benchLearnedLimits({ limit: Number(limit) || 600, windowSeconds: Number(windowSeconds) || 60, window: window === 'fixed' ? 'fixed' : 'sliding' });
  console.log(JSON.stringify(result, null, 2));
}
