/**
 * Batch mode against the fake with zero batch delay: the same cascade live and in batch mode, in one
 * process each. Dollars per 1,000 approved pairs come from the ledger; wall time and peak RSS (the
 * fake runs in the same process and keeps every batch's requests) are reported, never asserted.
 */
import { distilleryResponder } from '../test/fakes/distillery-responder.js';
import { startCascade } from '../src/runs/start-cascade.js';
import { fakeBench } from './fake-app.js';

export interface BatchBenchRow {
  mode: 'live' | 'batch';
  samples: number;
  approved: number;
  spentUsd: number;
  usdPer1000Approved: number;
  batchedShare: number;
  seconds: number;
  peakRssMb: number;
}

export async function benchBatch(options: { samples: number; mode: 'live' | 'batch' }): Promise<BatchBenchRow> {
  const bench = await fakeBench({ name: `batch-${options.mode}`, responder: distilleryResponder, budgetUsd: 1000, batch: { poll_seconds: 0, poll_max_seconds: 0, max_age_seconds: 5 } });
  try {
    let runId = '';
    const result = await bench.run(async () => {
      // Off-peak waits off: the figures must not depend on the hour the bench runs.
      const outcome = await startCascade(bench.app.services, bench.app.engine, { domain: 'medical', samples: options.samples, mode: options.mode, deepseek_off_peak: false });
      runId = outcome.run?.id ?? '';
      return outcome.run;
    });
    const totals = bench.app.services.ledger.totals(bench.app.services.guard.status().month);
    const spentUsd = totals.byRun[runId] ?? 0;
    const approved = Number(result.metrics.counts?.approved ?? result.metrics.approved ?? 0);
    const batched = [...bench.fake.batches.batches.values()].reduce((sum, batch) => sum + batch.lines.length, 0);
    const calls = Object.values(bench.fake.counts()).reduce((sum, n) => sum + n, 0);
    return { mode: options.mode, samples: options.samples, approved, spentUsd, usdPer1000Approved: (spentUsd / approved) * 1000, batchedShare: calls ? batched / calls : 0, seconds: result.seconds, peakRssMb: result.peakRssMb };
  } finally {
    await bench.close();
  }
}
