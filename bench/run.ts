/**
 * npm run bench: measures what the issues set targets for, prints a table and keeps the latest in
 * bench/RESULTS.md with the date and machine. Not part of npm test: timings on a shared 2-core
 * machine are noisy, so they are reported, never asserted.
 */
import os from 'node:os';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchChunking } from './chunking.js';
import { benchDistill } from './distill.js';

interface Row {
  measure: string;
  value: string;
  target: string;
}

async function main() {
  const rows: Row[] = [];
  const chunking = await benchChunking({ megabytes: 50 });
  rows.push({ measure: `chunking ${chunking.megabytes.toFixed(0)} MB (${chunking.chunks} chunks)`, value: `${chunking.mbPerSecond.toFixed(1)} MB/s`, target: '>= 20 MB/s' });
  rows.push({ measure: 'chunking peak RSS', value: `${chunking.peakRssMb.toFixed(0)} MB`, target: 'flat (document size + small constant)' });
  global.gc?.();
  const distill = await benchDistill({ megabytes: 5 });
  rows.push({ measure: `distill ${distill.megabytes.toFixed(1)} MB document at zero latency (${distill.chunks} chunks, ${distill.calls} calls, ${distill.approved} approved)`, value: `${distill.seconds.toFixed(1)} s, ${distill.callsPerSecond.toFixed(0)} calls/s`, target: '-' });
  rows.push({ measure: 'distill peak RSS (5 MB document)', value: `${distill.peakRssMb.toFixed(0)} MB (baseline ${distill.baselineRssMb.toFixed(0)} MB)`, target: 'bounded' });

  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const table = ['| measure | value | target |', '|---|---|---|', ...rows.map((row) => `| ${row.measure} | ${row.value} | ${row.target} |`)].join('\n');
  const report = `# Benchmark results\n\nLatest \`npm run bench\`: ${new Date().toISOString()} on ${machine}.\n\n${table}\n`;
  console.log(report);
  await writeFile(path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), report);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
