/**
 * Peak memory distilling a 5 MB document end to end against the fake providers at zero latency:
 * chunking, generation, near-duplicate removal, validation and every file written, through the
 * real SDK clients over loopback. Each copy of the corpus is marked so chunks are not exact
 * duplicates (which would be dropped and make the run trivially small).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { distilleryResponder } from '../test/fakes/distillery-responder.js';
import { startDistill } from '../src/runs/start-distill.js';
import { readCorpus } from './chunking.js';
import { fakeBench } from './fake-app.js';

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
  let text = '';
  for (let copy = 0; Buffer.byteLength(text) < targetBytes; copy++) {
    for (const document of corpus) text += document.replace(/\n\n/g, `\n\n[copy ${copy}] `) + '\n\n';
  }
  const bench = await fakeBench({ name: 'distill', responder: distilleryResponder, budgetUsd: 1000, prepare: (docs) => writeFile(path.join(docs, 'big.txt'), text) });
  try {
    const { app } = bench;
    const { seconds, peakRssMb, baselineRssMb, metrics } = await bench.run(async () => (await startDistill(app.services, app.engine, { path: 'big.txt', pairs_per_chunk: 3 }, [bench.docs])).run);
    const calls = metrics.calls.paid as number;
    return {
      megabytes: Buffer.byteLength(text) / 1_000_000,
      chunks: metrics.counts.chunks,
      calls,
      approved: metrics.counts.approved,
      seconds,
      callsPerSecond: calls / seconds,
      peakRssMb,
      baselineRssMb,
    };
  } finally {
    await bench.close();
  }
}
