/**
 * budget_status latency with 100,000 calls in this month's ledger (through a real MCP client in
 * memory), and dollars per 1,000 approved pairs at the default models, from the estimators' token
 * counts of real inputs (the sample documents, the medical cascade plan, 200 ensemble prompts).
 */
import { mkdtemp, mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createServer } from '../src/server.js';
import { silentLogger } from '../src/util/log.js';
import { monthKey } from '../src/store/month.js';
import { chunkDocument, defaultChunkOptions } from '../src/pipelines/distill/chunker.js';
import { estimateDistill } from '../src/pipelines/distill/estimate.js';
import { estimateCascade } from '../src/pipelines/cascade/estimate.js';
import { coveragePlan } from '../src/pipelines/cascade/plan.js';
import { resolveDomain } from '../src/pipelines/cascade/domains.js';
import { estimateEnsemble } from '../src/pipelines/ensemble/estimate.js';
import { resolveTeachers } from '../src/pipelines/ensemble/teachers.js';
import { findCorpusDirectory } from './chunking.js';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchBudgetStatus(entries = 100_000, calls = 300): Promise<{ entries: number; p50Ms: number; p95Ms: number; openSeconds: number }> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-budget-'));
  try {
    const home = path.join(folder, 'home');
    const month = monthKey(new Date());
    await mkdir(path.join(home, 'ledger'), { recursive: true });
    const lines: string[] = [];
    for (let i = 0; i < entries; i++) {
      const usage = { inputTokens: 900, cachedInputTokens: 100, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 200 };
      lines.push(JSON.stringify({ at: new Date().toISOString(), month, runId: `r-bench-${i % 40}`, stage: ['distill.generate', 'distill.validate', 'cascade.format'][i % 3], sampleKey: `s-${i}`, provider: ['deepseek', 'anthropic', 'openai'][i % 3], model: 'm', usage, reservedUsd: 0.0004, costUsd: 0.0002, outcome: 'ok', durationMs: 10 }));
    }
    await writeFile(path.join(home, 'ledger', `${month}.jsonl`), lines.join('\n') + '\n');
    const config = loadConfig({ cwd: folder, dotenv: false, env: { DISTILLERY_HOME: home, DISTILLERY_ROOTS: folder } });
    const opened = performance.now();
    const app = await createApp(config, { log: silentLogger });
    const openSeconds = (performance.now() - opened) / 1000;
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    await createServer(app).connect(serverTransport);
    const client = new Client({ name: 'bench', version: '1' });
    await client.connect(clientTransport);
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = performance.now();
      const result = await client.callTool({ name: 'budget_status', arguments: {} });
      times.push(performance.now() - started);
      if (result.isError) throw new Error('budget_status failed in the bench');
    }
    times.sort((a, b) => a - b);
    await client.close();
    await app.close();
    return { entries, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), openSeconds };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

export async function benchCostPerThousand(): Promise<{ pipeline: string; input: string; expectedUsd: number; approved: number; usdPer1000: number }[]> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'distillery-bench-cost-'));
  try {
    const config = loadConfig({ cwd: folder, dotenv: false, env: { DISTILLERY_HOME: path.join(folder, 'home') } });
    const app = await createApp(config, { log: silentLogger });
    const services = app.services;
    const rows = [];
    for (const name of ['legal_guide.txt', 'medical_manual.txt', 'technical_manual.txt']) {
      const text = await readFile(path.join(findCorpusDirectory(), name), 'utf8');
      const estimate = estimateDistill(services, [...chunkDocument(text, defaultChunkOptions)], undefined);
      rows.push({ pipeline: 'distill', input: name, expectedUsd: estimate.costUsd.expected, approved: estimate.expectedApprovedPairs, usdPer1000: (estimate.costUsd.expected / estimate.expectedApprovedPairs) * 1000 });
    }
    const domain = resolveDomain('medical', config.home);
    const cascade = estimateCascade(services, domain.template!, coveragePlan(domain.template!, 10_000), { stageAOnly: false, goldenFraction: 0.09, expand: false });
    rows.push({ pipeline: 'cascade', input: 'medical, 10,000 samples', expectedUsd: cascade.costUsd.expected, approved: cascade.expected.approved, usdPer1000: (cascade.costUsd.expected / cascade.expected.approved) * 1000 });
    const ensemble = estimateEnsemble(services, resolveTeachers(services), { generated: 200 });
    rows.push({ pipeline: 'ensemble', input: '200 generated prompts, 3 teachers', expectedUsd: ensemble.costUsd.expected, approved: ensemble.expectedApprovedSamples, usdPer1000: (ensemble.costUsd.expected / ensemble.expectedApprovedSamples) * 1000 });
    await app.close();
    return rows;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
