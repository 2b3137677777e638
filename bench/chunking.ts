/**
 * Chunking throughput: a ~50 MB document built by repeating the sample corpus, read from disk and
 * chunked with the default options. Called by the benchmark runner; reports MB/s and peak memory.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkDocument, defaultChunkOptions } from '../src/pipelines/distill/chunker.js';

export interface ChunkingBenchResult {
  megabytes: number;
  seconds: number;
  mbPerSecond: number;
  chunks: number;
  peakRssMb: number;
}

/** The repository root: the nearest folder above this file that holds a package.json (works from dist/ too). */
function repositoryRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('Could not find the repository root (no package.json above bench/).');
    folder = parent;
  }
  return folder;
}

/** The sample documents: DISTILLERY_CORPUS when set (a folder of .txt files), else the repository's examples/. */
export function findCorpusDirectory(): string {
  const fromEnvironment = process.env.DISTILLERY_CORPUS;
  const folder = fromEnvironment ? path.resolve(fromEnvironment) : path.join(repositoryRoot(), 'examples');
  if (existsSync(folder)) return folder;
  throw new Error(`No sample documents at ${folder}. ${fromEnvironment ? 'Point DISTILLERY_CORPUS at a folder of .txt files.' : 'Restore examples/ from git, or set DISTILLERY_CORPUS to a folder of .txt files.'}`);
}

export async function readCorpus(): Promise<string[]> {
  const folder = findCorpusDirectory();
  const names = (await readdir(folder)).filter((name) => name.endsWith('.txt')).sort();
  if (names.length === 0) throw new Error(`The corpus folder ${folder} has no .txt files.`);
  return Promise.all(names.map((name) => readFile(path.join(folder, name), 'utf8')));
}

export async function benchChunking(options: { megabytes?: number } = {}): Promise<ChunkingBenchResult> {
  const targetBytes = Math.round((options.megabytes ?? 50) * 1_000_000);
  const corpus = (await readCorpus()).join('\n\n\n');
  const copies = Math.max(1, Math.ceil(targetBytes / Buffer.byteLength(corpus)));
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-'));
  const file = path.join(folder, 'corpus-repeated.txt');
  try {
    await writeFile(file, Array.from({ length: copies }, () => corpus).join('\n\n\n'));
    // With --expose-gc (npm run bench), drop the written copy so the peak reflects reading and chunking.
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    // As readDocument does: one buffer, one strict UTF-8 decode (readFile with 'utf8' builds a rope).
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await readFile(file));
    let chunks = 0;
    let peakRss = process.memoryUsage().rss;
    for (const _chunk of chunkDocument(text, defaultChunkOptions)) {
      chunks++;
      if (chunks % 64 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    const seconds = (performance.now() - started) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const megabytes = Buffer.byteLength(text) / 1_000_000;
    return {
      megabytes: round(megabytes),
      seconds: round(seconds),
      mbPerSecond: round(megabytes / seconds),
      chunks,
      peakRssMb: round(peakRss / 1_048_576),
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
