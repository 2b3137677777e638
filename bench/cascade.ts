/**
 * A cascade end to end, measured the way a user runs it: `node dist/cli.js cascade` in its own
 * process (the built code, no tsx), against the fake providers served from this process over
 * loopback. Reports wall time, the CLI process's peak RSS (VmHWM), calls, the request rate each
 * provider saw and the 429s. With `rpm`, the fake enforces that many requests per minute per provider
 * (a sliding minute, answering 429 with retry-after beyond it) and Distillery is configured with it.
 *
 * The floor: the very requests the cascade sent (same paths, same bodies), replayed as bare fetch
 * POSTs from a third process (bench/replay.mjs) at the cascade's concurrency (the built-in defaults:
 * 32 DeepSeek, 16 OpenAI, 16 Anthropic requests in flight), against the same fake. So the ratio
 * prices exactly what Distillery adds around the same HTTP calls. A second replay sends them
 * through the openai and Anthropic SDKs alone, to show how much of that the SDKs take. This machine
 * is shared and its speed drifts by a quarter within minutes, so with `rounds` the cascade and the
 * replays alternate and every round is reported; the headline is the round with the median ratio.
 * CPU seconds (user + system, from /proc) are reported beside wall time.
 * Run directly: node --import tsx bench/cascade.ts [samples] [latencyMs] [rpm] [rounds]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeProviderServer, reply, type Flavour, type FakeRequest } from '../test/fakes/provider-server.js';
import { distilleryResponder } from '../test/fakes/distillery-responder.js';
import { loadConfig } from '../src/config.js';
import { fakeEnvironment } from './fake-app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'dist', 'cli.js');
/** Requests in flight per provider, for Distillery and for the floor alike: its built-in defaults. */
const defaults = loadConfig({ cwd: os.tmpdir(), dotenv: false, env: {} }).providers;
const concurrency: Record<Flavour, number> = { deepseek: defaults.deepseek!.concurrency, openai: defaults.openai!.concurrency, anthropic: defaults.anthropic!.concurrency };

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
  /** From starting the process to its exit. */
  seconds: number;
  /** From the first provider request to the process's exit: without Node's start and module loading. */
  secondsFromFirstRequest: number;
  peakRssMb: number;
  /** Peak RSS of the same command on a 10-sample cascade: the code and libraries loaded. */
  baselineRssMb: number;
  calls: number;
  approved: number;
  golden: number;
  rateLimited: number;
  /** Share of one core the fake used while serving the cascade, to show it was not the bottleneck. */
  fakeBusy: number;
  providers: Record<Flavour, ProviderRate>;
  /** CPU seconds (user + system) of the CLI process. */
  cpuSeconds: number;
  floor?: FloorRound;
  /** Every round, the headline one included, when the floor ran. */
  rounds?: { seconds: number; secondsFromFirstRequest: number; cpuSeconds: number; floor: FloorRound }[];
}

export interface FloorRound {
  seconds: number;
  calls: number;
  /** CPU seconds of the replay process. */
  cpuSeconds: number;
  fakeBusy: number;
  ratio: number;
  ratioFromFirstRequest: number;
  /** The same requests through the two SDKs alone (bench/replay.mjs sdk): what the SDKs add to the floor. */
  sdk: { seconds: number; cpuSeconds: number; ratio: number };
}

/** A request as sent; its body is serialised after the run, so capturing costs the fake nothing meanwhile. */
interface Captured {
  flavour: Flavour;
  path: string;
  body: unknown;
}

/** Per-provider sliding-minute limit at the fake, what each provider saw, and every request while `capture.into` is set. */
function pacedResponder(rpm: number | undefined, capture: { into?: Captured[] }) {
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
    capture.into?.push({ flavour: request.flavour, path: request.path, body: request.body });
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

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
const ticksPerSecond = 100;

/** Runs a command to its end, sampling its VmHWM (peak resident set) and CPU time from /proc while it runs. */
export async function runMeasured(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ seconds: number; endedAt: number; peakRssMb: number; cpuSeconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  let peakKb = 0;
  let cpuTicks = 0;
  const sample = async () => {
    const [status, stat] = await Promise.all([readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => ''), readFile(`/proc/${child.pid}/stat`, 'utf8').catch(() => '')]);
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) peakKb = Math.max(peakKb, Number(match[1]));
    // utime and stime are the 14th and 15th fields; the command name (field 2) may hold spaces, so count from its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.length > 13) cpuTicks = Math.max(cpuTicks, Number(fields[11]) + Number(fields[12]));
  };
  const sampler = setInterval(() => void sample(), 25);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${path.basename(args[0] ?? command)} ${args.slice(1).join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  const endedAt = performance.now();
  return { seconds: (endedAt - started) / 1000, endedAt, peakRssMb: peakKb / 1024, cpuSeconds: cpuTicks / ticksPerSecond, stdout };
}

async function cascadeCli(folder: string, fake: FakeProviderServer, rpm: number | undefined, samples: number, name: string) {
  const home = path.join(folder, `home-${name}`);
  const docs = path.join(folder, 'docs');
  await mkdir(docs, { recursive: true });
  const configFile = path.join(folder, 'config.json');
  const env = { PATH: process.env.PATH, ...fakeEnvironment(fake, { home, docs, configFile, budgetUsd: 10_000 }) };
  // Only the request rate is raised (the fake has no rate limit unless `rpm` is given); concurrency stays at its defaults.
  const limits = { requests_per_minute: rpm ?? 1_000_000 };
  await writeFile(configFile, JSON.stringify({ providers: { deepseek: limits, anthropic: limits, openai: limits } }));
  const measured = await runMeasured(process.execPath, [cli, 'cascade', '--samples', String(samples), '--domain', 'medical'], { cwd: folder, env });
  const [runId] = await readdir(path.join(home, 'runs'));
  const metrics = JSON.parse(await readFile(path.join(home, 'runs', runId!, 'metrics.json'), 'utf8'));
  return { ...measured, metrics };
}

/** CPU time this process spent while `work` ran, as a share of one core. */
async function busy<T>(work: () => Promise<T>): Promise<{ value: T; share: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await work();
  const used = process.cpuUsage(cpu);
  return { value, share: (used.user + used.system) / 1000 / (performance.now() - started) };
}

export async function benchCascade(options: { samples?: number; latencyMs?: number; rpm?: number; floor?: boolean; rounds?: number } = {}): Promise<CascadeBenchResult> {
  const samples = options.samples ?? 10_000;
  const latencyMs = options.latencyMs ?? 0;
  const captured: Captured[] | undefined = options.floor ? [] : undefined;
  const capture: { into?: Captured[] } = {};
  const paced = pacedResponder(options.rpm, capture);
  const fake = await FakeProviderServer.start({ latencyMs, responder: paced.responder });
  // The fake keeps every request for tests; a benchmark does not need them.
  const trim = setInterval(() => (fake.requests.length = 0), 50);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-cascade-'));
  try {
    const baseline = await cascadeCli(folder, fake, undefined, 10, 'baseline');
    capture.into = captured;
    const results: CascadeBenchResult[] = [];
    const file = path.join(folder, 'requests.jsonl');
    for (let round = 0; round < (options.floor ? (options.rounds ?? 1) : 1); round++) {
      for (const seen of Object.values(paced.seen)) Object.assign(seen, { requests: 0, rateLimited: 0, first: 0, last: 0 });
      const result = await cascadeRound(folder, fake, paced.seen, { samples, latencyMs, rpm: options.rpm, name: `run-${round}` });
      result.baselineRssMb = baseline.peakRssMb;
      if (captured) {
        // Every round replays the first round's requests: later rounds send the same ones under other run ids.
        if (round === 0) {
          await writeFile(file, captured.map((request) => JSON.stringify({ ...request, body: JSON.stringify(request.body) })).join('\n') + '\n');
          capture.into = undefined;
          captured.length = 0;
        }
        const replay = await busy(() => replayRequests(file, fake.url, 'fetch'));
        const { seconds, calls, cpuSeconds } = replay.value;
        const sdk = await replayRequests(file, fake.url, 'sdk');
        result.floor = {
          seconds,
          calls,
          cpuSeconds,
          fakeBusy: replay.share,
          ratio: result.seconds / seconds,
          ratioFromFirstRequest: result.secondsFromFirstRequest / seconds,
          sdk: { seconds: sdk.seconds, cpuSeconds: sdk.cpuSeconds, ratio: sdk.seconds / seconds },
        };
      }
      results.push(result);
    }
    if (!captured) return results[0]!;
    const sorted = [...results].sort((a, b) => a.floor!.ratioFromFirstRequest - b.floor!.ratioFromFirstRequest);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    return { ...median, rounds: results.map(({ seconds, secondsFromFirstRequest, cpuSeconds, floor }) => ({ seconds, secondsFromFirstRequest, cpuSeconds, floor: floor! })) };
  } finally {
    clearInterval(trim);
    await fake.close();
    await rm(folder, { recursive: true, force: true });
  }
}

type Seen = ReturnType<typeof pacedResponder>['seen'];

/** One cascade through the CLI, with what the fake saw of it. */
async function cascadeRound(folder: string, fake: FakeProviderServer, seenBy: Seen, options: { samples: number; latencyMs: number; rpm?: number; name: string }): Promise<CascadeBenchResult> {
  const run = await busy(() => cascadeCli(folder, fake, options.rpm, options.samples, options.name));
  const providers = Object.fromEntries(
    Object.entries(seenBy).map(([flavour, seen]) => {
      const activeSeconds = (seen.last - seen.first) / 1000;
      const accepted = seen.requests - seen.rateLimited;
      return [flavour, { requests: seen.requests, rateLimited: seen.rateLimited, activeSeconds, achievedRpm: activeSeconds > 0 ? (accepted / activeSeconds) * 60 : 0 }];
    }),
  ) as Record<Flavour, ProviderRate>;
  const { metrics, seconds, peakRssMb, endedAt, cpuSeconds } = run.value;
  const firstRequest = Math.min(...Object.values(seenBy).map((seen) => seen.first || Infinity));
  return {
    samples: options.samples,
    latencyMs: options.latencyMs,
    rpm: options.rpm ?? null,
    seconds,
    secondsFromFirstRequest: (endedAt - firstRequest) / 1000,
    peakRssMb,
    baselineRssMb: 0,
    cpuSeconds,
    calls: metrics.calls.paid,
    approved: metrics.counts.approved,
    golden: metrics.counts.golden,
    rateLimited: Object.values(providers).reduce((sum, provider) => sum + provider.rateLimited, 0),
    fakeBusy: run.share,
    providers,
  };
}

async function replayRequests(file: string, url: string, mode: 'fetch' | 'sdk'): Promise<{ seconds: number; calls: number; cpuSeconds: number }> {
  const replay = path.join(root, 'bench', 'replay.mjs');
  const { stdout, cpuSeconds } = await runMeasured(process.execPath, [replay, file, url, JSON.stringify(concurrency), ...(mode === 'sdk' ? ['sdk'] : [])], { cwd: root, env: process.env });
  return { ...(JSON.parse(stdout.trim().split('\n').pop()!) as { seconds: number; calls: number }), cpuSeconds };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [samples, latencyMs, rpm, rounds] = process.argv.slice(2).map(Number);
  const result = await benchCascade({ samples: samples || undefined, latencyMs: latencyMs || undefined, rpm: rpm || undefined, floor: !latencyMs, rounds: rounds || undefined });
  console.log(JSON.stringify(result, null, 2));
}
