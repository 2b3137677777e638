/**
 * A cascade end to end against the fake providers, in process, through the real SDK clients over
 * loopback: wall time, peak memory, calls, the request rate each provider saw and the 429s. With
 * `rpm`, the fake enforces that many requests per minute per provider (a sliding minute, answering
 * 429 with retry-after beyond it) and Distillery is configured with the same limit.
 * benchBareHttp is the floor: the same number of bare HTTP POSTs to the fake, with no pipeline.
 * Run directly: node --expose-gc --import tsx bench/cascade.ts [samples] [latencyMs] [rpm]
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeProviderServer, reply, type Flavour, type FakeRequest } from '../test/fakes/provider-server.js';
import { distilleryResponder } from '../test/fakes/distillery-responder.js';
import { startCascade } from '../src/pipelines/cascade/start.js';
import { fakeBench } from './fake-app.js';

export interface ProviderRate {
  requests: number;
  rateLimited: number;
  /** Requests per minute over the time this provider was busy (first to last request). */
  achievedRpm: number;
  activeSeconds: number;
}

export interface CascadeBenchResult {
  samples: number;
  latencyMs: number;
  rpm: number | null;
  seconds: number;
  peakRssMb: number;
  baselineRssMb: number;
  calls: number;
  approved: number;
  golden: number;
  rateLimited: number;
  providers: Record<Flavour, ProviderRate>;
}

/** Per-provider sliding-minute limit at the fake, and what each provider saw. */
function pacedResponder(rpm: number | undefined) {
  const windows: Record<Flavour, number[]> = { openai: [], deepseek: [], anthropic: [] };
  const seen: Record<Flavour, { requests: number; rateLimited: number; first: number; last: number }> = {
    openai: { requests: 0, rateLimited: 0, first: 0, last: 0 },
    deepseek: { requests: 0, rateLimited: 0, first: 0, last: 0 },
    anthropic: { requests: 0, rateLimited: 0, first: 0, last: 0 },
  };
  const responder = (request: FakeRequest) => {
    const now = performance.now();
    const stats = seen[request.flavour];
    stats.requests++;
    stats.first ||= now;
    stats.last = now;
    if (rpm !== undefined) {
      const window = windows[request.flavour];
      while (window.length > 0 && window[0]! <= now - 60_000) window.shift();
      if (window.length >= rpm) {
        stats.rateLimited++;
        return reply.rateLimited(Math.ceil(window[0]! + 60_000 - now));
      }
      window.push(now);
    }
    return distilleryResponder(request);
  };
  return { responder, seen };
}

export async function benchCascade(options: { samples?: number; latencyMs?: number; rpm?: number } = {}): Promise<CascadeBenchResult> {
  const samples = options.samples ?? 10_000;
  const latencyMs = options.latencyMs ?? 0;
  const paced = pacedResponder(options.rpm);
  const bench = await fakeBench({ name: 'cascade', responder: paced.responder, latencyMs, requestsPerMinute: options.rpm, budgetUsd: 10_000 });
  try {
    const { app } = bench;
    const { seconds, peakRssMb, baselineRssMb, metrics } = await bench.run(async () => (await startCascade(app.services, app.engine, { domain: 'medical', samples })).run);
    const providers = Object.fromEntries(
      Object.entries(paced.seen).map(([flavour, seen]) => {
        const activeSeconds = (seen.last - seen.first) / 1000;
        const accepted = seen.requests - seen.rateLimited;
        return [flavour, { requests: seen.requests, rateLimited: seen.rateLimited, activeSeconds, achievedRpm: activeSeconds > 0 ? (accepted / activeSeconds) * 60 : 0 }];
      }),
    ) as Record<Flavour, ProviderRate>;
    return {
      samples,
      latencyMs,
      rpm: options.rpm ?? null,
      seconds,
      peakRssMb,
      baselineRssMb,
      calls: metrics.calls.paid,
      approved: metrics.counts.approved,
      golden: metrics.counts.golden,
      rateLimited: Object.values(providers).reduce((sum, provider) => sum + provider.rateLimited, 0),
      providers,
    };
  } finally {
    await bench.close();
  }
}

/** The floor: `calls` bare POSTs to the fake (64 in flight, as many as the cascade allows a provider), no pipeline. */
export async function benchBareHttp(calls: number, concurrency = 64): Promise<{ calls: number; seconds: number }> {
  const fake = await FakeProviderServer.start();
  const url = `${fake.baseUrl('openai')}/chat/completions`;
  const body = JSON.stringify({ model: 'gpt-6-luna', messages: [{ role: 'user', content: 'ping' }] });
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await response.arrayBuffer();
      if (next % 1000 === 0) fake.requests.length = 0;
    }
  };
  const started = performance.now();
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { calls, seconds: (performance.now() - started) / 1000 };
  } finally {
    await fake.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [samples, latencyMs, rpm] = process.argv.slice(2).map(Number);
  const result = await benchCascade({ samples: samples || undefined, latencyMs: latencyMs || undefined, rpm: rpm || undefined });
  // The floor only compares at zero latency: the fake answers bare calls at once.
  const floor = result.latencyMs === 0 ? await benchBareHttp(result.calls) : undefined;
  console.log(JSON.stringify({ ...result, ...(floor ? { bareHttpSeconds: floor.seconds, ratioToBareHttp: result.seconds / floor.seconds } : {}) }, null, 2));
}
