/**
 * What every end-to-end benchmark needs: a temporary home, the fake providers on loopback, an app
 * configured against them, and one run timed to its end while peak memory is sampled.
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeProviderServer, type Responder } from '../test/fakes/provider-server.js';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/util/log.js';
import type { RunRecord } from '../src/store/catalog.js';

export interface FakeBench {
  folder: string;
  /** Documents folder, the allowed root. */
  docs: string;
  fake: FakeProviderServer;
  app: App;
  /** Starts a run, waits for it, and reports its wall time, peak RSS and metrics.json. */
  run(start: () => Promise<RunRecord | undefined>): Promise<{ seconds: number; peakRssMb: number; baselineRssMb: number; metrics: any }>;
  close(): Promise<void>;
}

/** The environment that points Distillery at the fake providers, with stand-in keys. */
export function fakeEnvironment(fake: Pick<FakeProviderServer, 'baseUrl'>, options: { home: string; docs: string; configFile: string; budgetUsd: number }): Record<string, string> {
  return {
    DISTILLERY_HOME: options.home,
    DISTILLERY_ROOTS: options.docs,
    DISTILLERY_CONFIG: options.configFile,
    DISTILLERY_BUDGET_USD: String(options.budgetUsd),
    DEEPSEEK_API_KEY: 'bench',
    ANTHROPIC_API_KEY: 'bench',
    OPENAI_API_KEY: 'bench',
    DEEPSEEK_BASE_URL: fake.baseUrl('deepseek'),
    ANTHROPIC_BASE_URL: fake.baseUrl('anthropic'),
    OPENAI_BASE_URL: fake.baseUrl('openai'),
  };
}

export async function fakeBench(options: {
  name: string;
  responder: Responder;
  latencyMs?: number;
  requestsPerMinute?: number;
  budgetUsd: number;
  /** Writes inputs into the documents folder before the app starts. */
  prepare?: (docs: string) => Promise<void>;
  /** The config file's `batch` section (batch mode). */
  batch?: Record<string, number>;
}): Promise<FakeBench> {
  const folder = await mkdtemp(path.join(os.tmpdir(), `distillery-bench-${options.name}-`));
  const docs = path.join(folder, 'docs');
  await mkdir(docs);
  await options.prepare?.(docs);
  const fake = await FakeProviderServer.start({ latencyMs: options.latencyMs ?? 0, responder: options.responder });
  const limits = { concurrency: 64, requests_per_minute: options.requestsPerMinute ?? 1_000_000 };
  await writeFile(path.join(folder, 'config.json'), JSON.stringify({ providers: { deepseek: limits, anthropic: limits, openai: limits }, ...(options.batch ? { batch: options.batch } : {}) }));
  const config = loadConfig({
    cwd: folder,
    dotenv: false,
    env: fakeEnvironment(fake, { home: path.join(folder, 'home'), docs, configFile: path.join(folder, 'config.json'), budgetUsd: options.budgetUsd }),
  });
  const app = await createApp(config, { log: silentLogger });
  return {
    folder,
    docs,
    fake,
    app,
    async run(start) {
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
        // The fake keeps every request for tests; a benchmark does not need them.
        fake.requests.length = 0;
      }, 50);
      const started = performance.now();
      try {
        const record = await start();
        if (!record) throw new Error('bench run did not start');
        const run = await app.engine.wait(record.id);
        if (run.status !== 'completed') throw new Error(`bench run ended ${run.status}: ${run.pause?.message ?? run.error}`);
        const seconds = (performance.now() - started) / 1000;
        const metrics = JSON.parse(await readFile(path.join(app.engine.runDir(run.id), 'metrics.json'), 'utf8'));
        return { seconds, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 1_048_576, baselineRssMb: baseline / 1_048_576, metrics };
      } finally {
        clearInterval(sampler);
      }
    },
    async close() {
      await app.close();
      await fake.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
