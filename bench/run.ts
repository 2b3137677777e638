/**
 * npm run bench: measures what the issues set targets for, prints a table and keeps the latest in
 * bench/RESULTS.md with the date and machine. Not part of npm test: timings on a shared 2-core
 * machine are noisy, so they are reported, never asserted.
 */
import os from 'node:os';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchChunking } from './chunking.js';
import { benchDistill } from './distill.js';
import { benchExport, benchReview } from './review-export.js';
import { benchCascade } from './cascade.js';
import { benchBudgetStatus, benchCostPerThousand } from './budget-and-cost.js';
import { benchLearnedLimits } from './learned-limits.js';
import { benchPdfDryRuns, benchQuality, benchThroughput, makeLargePdf } from './documents.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { benchDashboard } from './dashboard.js';
import { benchBatch, type BatchBenchRow } from './batch.js';

interface Row {
  measure: string;
  value: string;
  target: string;
}

/** Each measurement runs in a fresh process, so one's memory does not inflate the next one's peak. */
const measurements: Record<string, (...args: string[]) => Promise<unknown>> = {
  'documents-throughput': () => benchThroughput(),
  'documents-quality': () => benchQuality(),
  'pdf-make': (file, pages, megabytes) => makeLargePdf(file!, Number(pages), Number(megabytes)),
  'pdf-dry-runs': (folder, ...names) => benchPdfDryRuns(folder!, names),
  chunking: () => benchChunking({ megabytes: 50 }),
  distill: () => benchDistill({ megabytes: 5 }),
  cascade: () => benchCascade({ samples: 10_000, latencyMs: 0, floor: true, rounds: 3 }),
  paced: () => benchCascade({ samples: 1_500, latencyMs: 200, rpm: 600 }),
  // Whole minutes, so the burst after idle is not counted as pace; two at 60 rpm for a sample of 120.
  'learned-60': () => benchLearnedLimits({ limit: 60, windowSeconds: 120 }),
  'learned-600': () => benchLearnedLimits({ limit: 600, windowSeconds: 60 }),
  'learned-6000': () => benchLearnedLimits({ limit: 6000, windowSeconds: 60 }),
  'learned-600-fixed': () => benchLearnedLimits({ limit: 600, windowSeconds: 60, window: 'fixed' }),
  export: () => benchExport(100_000),
  review: () => benchReview(100_000),
  budget: () => benchBudgetStatus(100_000),
  dashboard: () => benchDashboard(100_000),
  cost: () => benchCostPerThousand(),
  'batch-live': () => benchBatch({ samples: 10_000, mode: 'live' }),
  'batch-batch': () => benchBatch({ samples: 10_000, mode: 'batch' }),
};

function measure<T>(name: string, ...args: string[]): T {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (child.status !== 0) throw new Error(`bench ${name} failed:\n${child.stderr}`);
  const line = child.stdout.trim().split('\n').pop()!;
  return JSON.parse(line) as T;
}

async function main() {
  const only = process.argv[2];
  if (only) {
    const run = measurements[only];
    if (!run) throw new Error(`unknown measurement ${only}`);
    console.log(JSON.stringify((await run(...process.argv.slice(3))) ?? null));
    return;
  }
  const rows: Row[] = [];
  const chunking = measure<Awaited<ReturnType<typeof benchChunking>>>('chunking');
  rows.push({ measure: `chunking ${chunking.megabytes.toFixed(0)} MB (${chunking.chunks} chunks)`, value: `${chunking.mbPerSecond.toFixed(1)} MB/s`, target: '>= 20 MB/s' });
  rows.push({ measure: 'chunking peak RSS (the 50 MB text itself is held as a string)', value: `${chunking.peakRssMb.toFixed(0)} MB`, target: 'flat (document size + small constant)' });
  documentRows(rows);
  const distill = measure<Awaited<ReturnType<typeof benchDistill>>>('distill');
  rows.push({ measure: `distill ${distill.megabytes.toFixed(1)} MB document at zero latency (${distill.chunks} chunks, ${distill.calls} calls, ${distill.approved} approved)`, value: `${distill.seconds.toFixed(1)} s, ${distill.callsPerSecond.toFixed(0)} calls/s`, target: '-' });
  rows.push({ measure: 'distill peak RSS (5 MB document)', value: `${distill.peakRssMb.toFixed(0)} MB (baseline ${distill.baselineRssMb.toFixed(0)} MB)`, target: 'bounded' });
  const cascade = measure<Awaited<ReturnType<typeof benchCascade>>>('cascade');
  const floor = cascade.floor!;
  const rounds = cascade.rounds ?? [];
  rows.push({
    measure: `cascade 10,000 samples at zero latency, \`node dist/cli.js cascade\` in its own process (${cascade.calls} calls, ${cascade.approved} approved, ${cascade.golden} golden), against the same requests replayed as bare fetch POSTs at the same concurrency; ${rounds.length} alternating rounds, the median shown`,
    value:
      `${cascade.secondsFromFirstRequest.toFixed(1)} s from its first request to its exit (${cascade.seconds.toFixed(1)} s with Node's start and module loading) against ${floor.seconds.toFixed(1)} s: ` +
      `${floor.ratioFromFirstRequest.toFixed(2)}x (${floor.ratio.toFixed(2)}x with start-up); all rounds ${rounds.map((round) => `${round.floor.ratioFromFirstRequest.toFixed(2)}x (${round.floor.ratio.toFixed(2)}x)`).join(', ')}. ` +
      `CPU ${cascade.cpuSeconds.toFixed(1)} s against the floor's ${floor.cpuSeconds.toFixed(1)} s. ` +
      `The same requests through the two SDKs alone, nothing of Distillery around them: ${floor.sdk.seconds.toFixed(1)} s, ${floor.sdk.ratio.toFixed(2)}x the floor (all rounds ${rounds.map((round) => `${round.floor.sdk.ratio.toFixed(2)}x`).join(', ')}), CPU ${floor.sdk.cpuSeconds.toFixed(1)} s. The fake was busy ${(cascade.fakeBusy * 100).toFixed(0)}% and ${(floor.fakeBusy * 100).toFixed(0)}% of a core`,
    target: '<= 1.5x',
  });
  rows.push({ measure: 'cascade 10,000 peak RSS of the CLI process (VmHWM)', value: `${cascade.peakRssMb.toFixed(0)} MB (a 10-sample cascade: ${cascade.baselineRssMb.toFixed(0)} MB)`, target: '<= 300 MB' });
  const paced = measure<Awaited<ReturnType<typeof benchCascade>>>('paced');
  for (const [provider, rate] of Object.entries(paced.providers)) {
    if (!rate.requests) continue;
    const demandLimited = provider === 'deepseek' ? ' (demand-limited: one stage-A call serves 8 pairs)' : '';
    rows.push({ measure: `cascade 1,500 samples at 200 ms latency, 600 rpm limit: ${provider}${demandLimited}`, value: `${rate.achievedRpm.toFixed(0)} rpm (${((rate.achievedRpm / 600) * 100).toFixed(0)}%), ${rate.rateLimited} 429s of ${rate.requests}`, target: '>= 95% of the limit, no 429 storm' });
  }
  for (const name of ['learned-60', 'learned-600', 'learned-6000', 'learned-600-fixed']) {
    const learned = measure<Awaited<ReturnType<typeof benchLearnedLimits>>>(name);
    const figures = Object.entries(learned.providers).map(
      ([provider, seen]) => `${provider} ${(seen.usedOfLimit * 100).toFixed(1)}% of the limit (${seen.served} served), ${seen.rateLimited} 429s (${(seen.share429 * 100).toFixed(2)}%), paced at ${seen.learnedRpm} rpm from ${seen.source}`,
    );
    rows.push({
      measure: `no requests_per_minute in config, the fake enforcing ${learned.limit.toLocaleString('en-US')} rpm per model (${learned.window} window, 429 above it, ${learned.latencyMs} ms latency), 32 callers per provider for ${learned.windowSeconds} s: served from the first request to the end, against the limit for that time`,
      value: figures.join('; '),
      target: '>= 95% of the limit, < 1% answered 429',
    });
  }
  const exported = measure<Awaited<ReturnType<typeof benchExport>>>('export');
  rows.push({ measure: 'export 100,000 samples (llama-factory, split all, read back and checked)', value: `${Math.round(exported.samplesPerSecond).toLocaleString('en-US')} samples/s, live heap +${exported.peakLiveHeapGrowthMb.toFixed(0)} MB`, target: '>= 50,000 samples/s, memory flat' });
  const review = measure<Awaited<ReturnType<typeof benchReview>>>('review');
  rows.push({ measure: `review_samples over 100,000 samples (${review.queries} varied calls)`, value: `p50 ${review.p50Ms.toFixed(1)} ms, p95 ${review.p95Ms.toFixed(1)} ms (index built once in ${review.indexSeconds.toFixed(1)} s)`, target: 'p95 <= 50 ms' });
  const budget = measure<Awaited<ReturnType<typeof benchBudgetStatus>>>('budget');
  rows.push({ measure: `budget_status with ${budget.entries.toLocaleString('en-US')} calls in this month's ledger (MCP client in memory)`, value: `p50 ${budget.p50Ms.toFixed(2)} ms, p95 ${budget.p95Ms.toFixed(2)} ms (ledger read at start in ${budget.openSeconds.toFixed(1)} s)`, target: '-' });
  const dashboard = measure<Awaited<ReturnType<typeof benchDashboard>>>('dashboard');
  rows.push({ measure: `dashboard review page: review_samples as the page calls it over loopback HTTP (20 samples, full text, score histogram), 100,000 samples, ${dashboard.review.calls} varied calls`, value: `p50 ${dashboard.review.p50Ms.toFixed(1)} ms, p95 ${dashboard.review.p95Ms.toFixed(1)} ms`, target: 'p95 <= 100 ms' });
  rows.push({ measure: `dashboard data: budget_status with burn-down, list_runs, run_status (${dashboard.ledgerEntries.toLocaleString('en-US')} calls in the ledger), computed in process`, value: `p50 ${dashboard.data.p50Ms.toFixed(2)} ms, p95 ${dashboard.data.p95Ms.toFixed(2)} ms; fetched by the page over loopback HTTP p50 ${dashboard.dataOverHttp.p50Ms.toFixed(1)} ms, p95 ${dashboard.dataOverHttp.p95Ms.toFixed(1)} ms`, target: 'p95 <= 50 ms' });
  rows.push({ measure: 'dashboard first render in headless chromium: navigation to the drawn burn-down chart (5 loads)', value: dashboard.firstRenderMs ? `median ${[...dashboard.firstRenderMs].sort((a, b) => a - b)[2]!.toFixed(0)} ms (${dashboard.firstRenderMs.map((ms) => ms.toFixed(0)).join(', ')} ms)` : 'not measured: no /usr/bin/chromium', target: '<= 1 s' });
  for (const cost of measure<Awaited<ReturnType<typeof benchCostPerThousand>>>('cost')) {
    rows.push({ measure: `dollars per 1,000 approved pairs, ${cost.pipeline} (${cost.input}), default models, from token counts`, value: `$${cost.usdPer1000.toFixed(2)} ($${cost.expectedUsd.toFixed(3)} for about ${cost.approved.toLocaleString('en-US')} approved)`, target: 'for scale, the seed at 2025 prices: cascade ~$7.50, distill ~$17-25, ensemble $150-500' });
  }
  const [liveRun, batchRun] = (['batch-live', 'batch-batch'] as const).map((name) => measure<BatchBenchRow>(name));
  rows.push({
    measure: `cascade 10,000 samples in process against the fake, live and in batch mode (zero batch delay; DeepSeek off-peak wait off): dollars per 1,000 approved pairs from the ledger`,
    value: `live $${liveRun!.usdPer1000Approved.toFixed(3)}, batch $${batchRun!.usdPer1000Approved.toFixed(3)} (${((batchRun!.usdPer1000Approved / liveRun!.usdPer1000Approved) * 100).toFixed(0)}% of live; ${(batchRun!.batchedShare * 100).toFixed(0)}% of requests batched)`,
    target: 'batch <= 55% of live',
  });
  rows.push({ measure: 'the same two runs: wall time and peak RSS (the fake in the same process)', value: `live ${liveRun!.seconds.toFixed(1)} s / ${liveRun!.peakRssMb.toFixed(0)} MB, batch ${batchRun!.seconds.toFixed(1)} s / ${batchRun!.peakRssMb.toFixed(0)} MB (${(batchRun!.seconds / liveRun!.seconds).toFixed(2)}x)`, target: 'batch <= 2x live, <= 300 MB' });

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const table = ['| measure | value | target |', '|---|---|---|', ...rows.map((row) => `| ${row.measure} | ${row.value} | ${row.target} |`)].join('\n');
  const report = `# Benchmark results\n\nLatest \`npm run bench\`: ${new Date().toISOString()} on ${machine}.\n\n${table}\n`;
  console.log(report);
  await writeFile(path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), report);
}

/** Extraction per format, the 50 MB PDF (made by one process, read by another) and quality on the fixtures. */
function documentRows(rows: Row[]): void {
  for (const format of measure<Awaited<ReturnType<typeof benchThroughput>>>('documents-throughput')) {
    rows.push({ measure: `extract and chunk ${format.format.toUpperCase()} in process (${format.megabytes.toFixed(1)} MB file, ${format.words.toLocaleString('en-US')} words, ${format.chunks} chunks)`, value: `${format.mbPerSecond.toFixed(2)} MB/s wall (${(format.megabytes / format.cpuSeconds).toFixed(2)} MB per CPU second), ${Math.round(format.words / format.cpuSeconds).toLocaleString('en-US')} words per CPU second`, target: '-' });
  }
  const folder = mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-pdf-'));
  try {
    // Just under the default 50 MiB limit; a tenth of it, for how memory grows with size.
    measure('pdf-make', path.join(folder, 'large.pdf'), '4000', '49');
    measure('pdf-make', path.join(folder, 'small.pdf'), '400', '4.9');
    const [large, small] = measure<Awaited<ReturnType<typeof benchPdfDryRuns>>>('pdf-dry-runs', folder, 'large.pdf', 'small.pdf');
    rows.push({ measure: `\`node dist/cli.js distill --input large.pdf --dry-run\`: a ${large!.megabytes.toFixed(0)} MB PDF, 4,000 pages, ${large!.chunks} chunks (extract, chunk, estimate)`, value: `${large!.seconds.toFixed(1)} s, CPU ${large!.cpuSeconds.toFixed(1)} s (${(large!.megabytes / large!.cpuSeconds).toFixed(1)} MB per CPU second)`, target: '-' });
    rows.push({ measure: `its peak RSS (VmHWM), against a ${small!.megabytes.toFixed(0)} MB PDF of 400 pages`, value: `${large!.peakRssMb.toFixed(0)} MB against ${small!.peakRssMb.toFixed(0)} MB`, target: '<= 300 MB, flat' });
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  for (const fixture of measure<Awaited<ReturnType<typeof benchQuality>>>('documents-quality')) {
    rows.push({ measure: `extraction quality, ${fixture.name}: headings found, tables whole, boilerplate lines left (${fixture.dropped} dropped)`, value: `${fixture.headings}, ${fixture.tables}, ${fixture.boilerplateLeft}`, target: 'all, all, 0' });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
