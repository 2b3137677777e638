/**
 * Peak memory distilling a 5 MB document end to end against the fake providers at zero latency:
 * chunking, generation, near-duplicate removal, validation and every file written, through the
 * real SDK clients over loopback. Each copy of the corpus is marked so chunks are not exact
 * duplicates (which would be dropped and make the run trivially small).
 */
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { FakeProviderServer } from '../test/fakes/provider-server.js';
import { distilleryResponder } from '../test/fakes/distillery-responder.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/util/log.js';
import { startDistill } from '../src/pipelines/distill/start.js';
import { readCorpus } from './chunking.js';

export interface DistillBenchResult {
  megabytes: number;
  chunks: number;
  calls: number;
  approved: number;
  seconds: number;
  callsPerSecond: number;
  peakRssMb: number;
  baselineRssMb: number;
}

export async function benchDistill(options: { megabytes?: number } = {}): Promise<DistillBenchResult> {
  const targetBytes = Math.round((options.megabytes ?? 5) * 1_000_000);
  const corpus = await readCorpus();
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-distill-'));
  const docs = path.join(folder, 'docs');
  await mkdir(docs);
  let text = '';
  for (let copy = 0; Buffer.byteLength(text) < targetBytes; copy++) {
    for (const document of corpus) text += document.replace(/\n\n/g, `\n\n[copy ${copy}] `) + '\n\n';
  }
  await writeFile(path.join(docs, 'big.txt'), text);
  const fake = await FakeProviderServer.start({ responder: distilleryResponder });
  const limits = { concurrency: 64, requests_per_minute: 1_000_000 };
  await writeFile(path.join(folder, 'config.json'), JSON.stringify({ providers: { deepseek: limits, anthropic: limits, openai: limits } }));
  const config = loadConfig({
    cwd: folder,
    dotenv: false,
    env: {
      DISTILLERY_HOME: path.join(folder, 'home'),
      DISTILLERY_ROOTS: docs,
      DISTILLERY_CONFIG: path.join(folder, 'config.json'),
      DISTILLERY_BUDGET_USD: '1000',
      DEEPSEEK_API_KEY: 'bench',
      ANTHROPIC_API_KEY: 'bench',
      OPENAI_API_KEY: 'bench',
      DEEPSEEK_BASE_URL: fake.baseUrl('deepseek'),
      ANTHROPIC_BASE_URL: fake.baseUrl('anthropic'),
      OPENAI_BASE_URL: fake.baseUrl('openai'),
    },
  });
  const app = await createApp(config, { log: silentLogger });
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
    const outcome = await startDistill(app.services, app.engine, { path: 'big.txt', pairs_per_chunk: 3 }, config.roots);
    const run = await app.engine.wait(outcome.run!.id);
    if (run.status !== 'completed') throw new Error(`bench run ended ${run.status}: ${run.pause?.message ?? run.error}`);
    const seconds = (performance.now() - started) / 1000;
    const metrics = JSON.parse(await readFile(path.join(app.engine.runDir(run.id), 'metrics.json'), 'utf8'));
    const calls = metrics.calls.paid as number;
    return {
      megabytes: Buffer.byteLength(text) / 1_000_000,
      chunks: metrics.counts.chunks,
      calls,
      approved: metrics.counts.approved,
      seconds,
      callsPerSecond: calls / seconds,
      peakRssMb: Math.max(peak, process.memoryUsage().rss) / 1_048_576,
      baselineRssMb: baseline / 1_048_576,
    };
  } finally {
    clearInterval(sampler);
    await app.close();
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  }
}
