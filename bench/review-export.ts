/**
 * Review and export at scale, on a hand-written cascade-shaped run (stage_c_validated.jsonl, train.jsonl,
 * golden_test_set.jsonl) with realistic sample sizes:
 *   benchExport: a 100,000-sample export (llama-factory, split all: train checked against the held-out
 *   golden set, every file read back and checked), samples per second and peak RSS;
 *   benchReview: review_samples through a real MCP client over 100,000 judged samples with varied
 *   filters, cursors and decisions: p50 / p95, the one-off index build, and the index's memory.
 * Run alone: node --expose-gc --import tsx bench/review-export.ts
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { exportDataset } from '../src/export/export.js';
import { createServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import type { Sample } from '../src/pipelines/sample.js';

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const syllables = ['car', 'dio', 'neu', 'ro', 'path', 'ic', 'lo', 'gy', 'the', 'ra', 'py', 'vas', 'cu', 'lar', 're', 'nal', 'he', 'pa', 'tic', 'on', 'co', 'der', 'ma', 'to', 'sis', 'in', 'fec', 'tion', 'dose', 'sym', 'ptom'];
const topics = ['cardiology', 'neurology', 'oncology', 'pediatrics', 'dermatology', 'nephrology', 'pharmacology', 'radiology'];
const difficulties = ['easy', 'medium', 'hard'] as const;

function vocabulary(next: () => number, size: number): string[] {
  return Array.from({ length: size }, () => Array.from({ length: 2 + Math.floor(next() * 3) }, () => syllables[Math.floor(next() * syllables.length)]).join(''));
}

/** Samples of about 800 bytes: a 14-word question, a 50-word answer, reasoning, scores and the judge's review. */
export function* benchSamples(runId: string, count: number, approvedShare: number): Generator<Sample> {
  const next = random(42);
  const words = vocabulary(next, 3000);
  const phrase = (length: number) => Array.from({ length }, () => words[Math.floor(next() * words.length)]).join(' ');
  for (let index = 0; index < count; index++) {
    const approved = next() < approvedShare;
    const overall = approved ? 7 + Math.round(next() * 30) / 10 : 2 + Math.round(next() * 45) / 10;
    yield {
      id: `${runId}-${index}`,
      instruction: `What does ${phrase(14)} mean for case ${index}?`,
      input: '',
      output: `${phrase(50)}.`,
      reasoning: `${phrase(12)}.`,
      difficulty: difficulties[index % 3]!,
      topic: topics[Math.floor(next() * topics.length)],
      source: { domain: 'medical', run: runId, pipeline: 'cascade' },
      scores: { overall, accuracy: approved ? 8 : Math.max(1, overall - 1), completeness: approved ? 8 : overall },
      status: approved ? 'approved' : 'rejected',
      review: { by: 'judge', reason: approved ? 'Accurate, complete and clearly stated.' : `Score ${overall} is below min_score 7: ${next() < 0.5 ? 'the accuracy is doubtful' : 'the answer is incomplete'}.`, at: '2026-11-26T00:00:00.000Z' },
    };
  }
}

async function writeLines(file: string, rows: Iterable<unknown>): Promise<void> {
  let text = '';
  await writeFile(file, '');
  for (const row of rows) {
    text += JSON.stringify(row) + '\n';
    if (text.length > 4_000_000) {
      await writeFile(file, text, { flag: 'a' });
      text = '';
    }
  }
  await writeFile(file, text, { flag: 'a' });
}

export async function benchApp(): Promise<{ app: App; folder: string }> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-review-'));
  await mkdir(path.join(folder, 'docs'));
  const config = loadConfig({ cwd: folder, dotenv: false, env: { DISTILLERY_HOME: path.join(folder, 'home'), DISTILLERY_ROOTS: path.join(folder, 'docs') } });
  return { app: await createApp(config, { log: silentLogger }), folder };
}

/** Writes a completed cascade run: every judged sample, the approved ones split 9:1 into train and golden. */
export async function writeBenchRun(app: App, runId: string, samples: number, approvedShare: number, name = 'bench cascade'): Promise<void> {
  const dir = app.engine.runDir(runId);
  await mkdir(dir, { recursive: true });
  await writeLines(path.join(dir, 'stage_c_validated.jsonl'), benchSamples(runId, samples, approvedShare));
  const approved = function* (golden: boolean) {
    let n = 0;
    for (const sample of benchSamples(runId, samples, approvedShare)) if (sample.status === 'approved' && (n++ % 10 === 0) === golden) yield sample;
  };
  await writeLines(path.join(dir, 'train.jsonl'), approved(false));
  await writeLines(path.join(dir, 'golden_test_set.jsonl'), approved(true));
  const now = new Date().toISOString();
  await app.services.catalog.putRun({ id: runId, name, kind: 'cascade', status: 'completed', params: {}, createdAt: now, updatedAt: now, finishedAt: now, progress: benchProgress(runId, samples, approvedShare), spentUsd: 0 });
}

/** The counters a finished cascade of this many samples would have left, for the run view. */
function benchProgress(runId: string, samples: number, approvedShare: number) {
  let approved = 0;
  for (const sample of benchSamples(runId, samples, approvedShare)) if (sample.status === 'approved') approved++;
  const stage = (total: number, costUsd: number) => ({ total, done: total, ok: total, failed: 0, costUsd });
  const generated = Math.round(samples * 1.06);
  return {
    stages: { stage_a_generate: stage(Math.ceil(generated / 5), samples * 0.00009), stage_b_format: stage(generated, samples * 0.00004), stage_c_validate: stage(samples, samples * 0.00012) },
    counts: { generated, duplicates_removed: generated - samples, formatted: samples, approved, rejected: samples - approved, golden: Math.ceil(approved / 10), train: approved - Math.ceil(approved / 10) },
    drops: {},
    lastErrors: [],
  };
}

/** Peak RSS, and peak heap plus array buffers above where they started (RSS keeps what earlier work freed). */
function memorySampler() {
  global.gc?.();
  const heap = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const baseline = { rss: process.memoryUsage().rss, heap: heap() };
  const peak = { ...baseline };
  const sample = () => {
    peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
    peak.heap = Math.max(peak.heap, heap());
  };
  const timer = setInterval(sample, 20);
  return { baseline, stop: () => (clearInterval(timer), sample(), peak) };
}

const mb = (bytes: number) => bytes / 1_048_576;

/** Highest heap plus array buffers right after a full collection, above the level before. */
function liveHeapSampler() {
  const live = () => (global.gc?.(), process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
  const baseline = live();
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, live())), 100);
  return { stop: () => (clearInterval(timer), Math.max(peak, live()) - baseline) };
}

export interface ExportBenchResult {
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  /** CPU time of this process (all its threads): on a shared machine, wall time also counts waiting for a core. */
  cpuSeconds: number;
  samplesPerCpuSecond: number;
  bytes: number;
  peakRssMb: number;
  baselineRssMb: number;
  /** How far heap and array buffers rose above their level before the export. */
  peakHeapGrowthMb: number;
  /** The same after collecting garbage: what the export really holds. */
  peakLiveHeapGrowthMb: number;
  jsonlSeconds: number;
}

export async function benchExport(samples = 100_000): Promise<ExportBenchResult> {
  const { app, folder } = await benchApp();
  try {
    await writeBenchRun(app, 'r-bench-export', samples, 1);
    const memory = memorySampler();
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const result = await exportDataset(app, { run_ids: ['r-bench-export'], format: 'llama-factory', split: 'all' }, [...app.config.roots]);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const peak = memory.stop();
    const startedJsonl = performance.now();
    await exportDataset(app, { run_ids: ['r-bench-export'], format: 'jsonl', split: 'all' }, [...app.config.roots]);
    const jsonlSeconds = (performance.now() - startedJsonl) / 1000;
    // Again, collecting garbage every 100 ms: the highest live heap shows what the export holds.
    const live = liveHeapSampler();
    await exportDataset(app, { run_ids: ['r-bench-export'], format: 'llama-factory', split: 'all', name: 'live-heap' }, [...app.config.roots]);
    const liveGrowth = live.stop();
    const exported = result.counts.train + result.counts.golden;
    if (exported !== samples) throw new Error(`bench export wrote ${exported} samples, expected ${samples}`);
    return { samples: exported, seconds, samplesPerSecond: exported / seconds, cpuSeconds, samplesPerCpuSecond: exported / cpuSeconds, bytes: result.files.reduce((sum, file) => sum + file.bytes, 0), peakRssMb: mb(peak.rss), baselineRssMb: mb(memory.baseline.rss), peakHeapGrowthMb: mb(peak.heap - memory.baseline.heap), peakLiveHeapGrowthMb: mb(liveGrowth), jsonlSeconds };
  } finally {
    await app.close();
    await rm(folder, { recursive: true, force: true });
  }
}

export interface ReviewBenchResult {
  samples: number;
  queries: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  indexSeconds: number;
  /** The first word query, which builds the word lists. */
  wordsSeconds: number;
  /** Heap and array buffers held by the index (after GC), and the process RSS then. */
  indexHeapMb: number;
  rssMb: number;
  /** Median per kind of call, slowest first. */
  byKind: { kind: string; medianMs: number }[];
}

function filters(index: number, next: () => number, samples: number): Record<string, unknown> {
  const word = ['car', 'neuro', 'path', 'dose', 'renal', 'ma', 'tic'][index % 7]!;
  switch (index % 9) {
    case 0: return {};
    case 1: return { status: 'rejected' };
    case 2: return { status: 'approved', difficulty: difficulties[index % 3] };
    case 3: { const low = Math.round(next() * 60) / 10; return { min_score: low, max_score: low + 2 }; }
    case 4: return { query: `${word}${syllables[index % syllables.length]}` };
    case 5: return { query: `case ${Math.floor(next() * samples)}` };
    case 6: return { topic: topics[index % topics.length], status: 'approved' };
    case 7: return { rejection_reason: index % 2 ? 'accuracy' : 'incomplete' };
    default: return { status: 'approved', decisions: [{ sample_id: `r-bench-review-${Math.floor(next() * samples)}`, action: index % 2 ? 'reject' : 'approve', note: 'bench' }] };
  }
}

export async function benchReview(samples = 100_000, queries = 270): Promise<ReviewBenchResult> {
  const { app, folder } = await benchApp();
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await createServer(app).connect(serverTransport);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(clientTransport);
  try {
    await writeBenchRun(app, 'r-bench-review', samples, 0.8);
    const heap = () => (global.gc?.(), process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers);
    const before = heap();
    const startedIndex = performance.now();
    const first = await client.callTool({ name: 'review_samples', arguments: { run_id: 'r-bench-review', limit: 10 } });
    if (first.isError) throw new Error(JSON.stringify(first.content));
    const indexSeconds = (performance.now() - startedIndex) / 1000;
    // The word lists are built on the first word query: count them in.
    const startedWords = performance.now();
    await client.callTool({ name: 'review_samples', arguments: { run_id: 'r-bench-review', query: 'dose' } });
    const wordsSeconds = (performance.now() - startedWords) / 1000;
    const indexHeap = heap() - before;
    const rss = process.memoryUsage().rss;
    const next = random(7);
    const times: number[] = [];
    const byKind = new Map<string, number[]>();
    let cursor: string | null = null;
    for (let index = 0; index < queries; index++) {
      const args: Record<string, unknown> = cursor && index % 4 === 3 ? { cursor } : { run_id: 'r-bench-review', limit: 10, ...filters(index, next, samples) };
      const started = performance.now();
      const result = await client.callTool({ name: 'review_samples', arguments: args });
      const elapsed = performance.now() - started;
      times.push(elapsed);
      const kind = Object.keys(args).filter((key) => key !== 'run_id' && key !== 'limit').join('+') || 'first page';
      byKind.set(kind, [...(byKind.get(kind) ?? []), elapsed]);
      if (result.isError) throw new Error(JSON.stringify(result.content));
      cursor = (result.structuredContent as { next_cursor: string | null }).next_cursor;
    }
    times.sort((a, b) => a - b);
    const at = (fraction: number) => times[Math.min(times.length - 1, Math.floor(fraction * times.length))]!;
    const slowest = [...byKind].map(([kind, list]) => ({ kind, medianMs: list.sort((a, b) => a - b)[Math.floor(list.length / 2)]! })).sort((a, b) => b.medianMs - a.medianMs);
    return { samples, queries, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: times.at(-1)!, indexSeconds, wordsSeconds, indexHeapMb: mb(indexHeap), rssMb: mb(rss), byKind: slowest };
  } finally {
    await client.close();
    await app.close();
    await rm(folder, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const exported = await benchExport();
  console.log(`export ${exported.samples} samples (llama-factory, split all): ${exported.seconds.toFixed(2)} s, ${Math.round(exported.samplesPerSecond)} samples/s (CPU ${exported.cpuSeconds.toFixed(2)} s: ${Math.round(exported.samplesPerCpuSecond)} samples per CPU second), ${mb(exported.bytes).toFixed(0)} MB written; peak RSS ${exported.peakRssMb.toFixed(0)} MB (baseline ${exported.baselineRssMb.toFixed(0)} MB), heap +${exported.peakHeapGrowthMb.toFixed(0)} MB at peak, +${exported.peakLiveHeapGrowthMb.toFixed(0)} MB live; jsonl: ${exported.jsonlSeconds.toFixed(2)} s`);
  const review = await benchReview();
  console.log(`review_samples over ${review.samples} samples, ${review.queries} queries: p50 ${review.p50Ms.toFixed(1)} ms, p95 ${review.p95Ms.toFixed(1)} ms, max ${review.maxMs.toFixed(1)} ms; index built in ${review.indexSeconds.toFixed(2)} s (+${review.wordsSeconds.toFixed(2)} s for the word lists on the first word query), index ${review.indexHeapMb.toFixed(0)} MB of heap, RSS ${review.rssMb.toFixed(0)} MB`);
  console.log(`  median by kind: ${review.byKind.map((kind) => `${kind.kind} ${kind.medianMs.toFixed(1)} ms`).join(', ')}`);
}
