/**
 * Test data for review and export: real distillation runs against the fake providers, or run
 * folders written by hand (for cascade and ensemble runs, and for size) and registered in the catalog.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { App } from '../../src/app.js';
import type { Client } from '@modelcontextprotocol/client';
import type { RunKind, RunRecord } from '../../src/store/catalog.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';

export async function distillRun(app: App, client: Client, document = 'legal_guide.txt', pairsPerChunk = 3): Promise<string> {
  const started = await client.callTool({ name: 'distill_file', arguments: { path: document, pairs_per_chunk: pairsPerChunk } });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const run = await app.engine.wait(runId);
  expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
  return runId;
}

export interface DistilledWorld {
  fake: FakeProviderServer;
  world: TestWorld;
  app: App;
  client: Client;
  /** A completed distill run of legal_guide.txt. */
  runId: string;
  close(): Promise<void>;
}

/** The fake providers, a world with legal_guide.txt, an app with a client, and one completed distill run of it. */
export async function distilledWorld(): Promise<DistilledWorld> {
  const fake = await FakeProviderServer.start({ responder: distilleryResponder });
  const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
  const app = await makeApp(world);
  const client = await connectClient(app);
  const runId = await distillRun(app, client);
  return {
    fake,
    world,
    app,
    client,
    runId,
    async close() {
      await app.close();
      await fake.close();
      await world.cleanup();
    },
  };
}

const topics = ['cardiology', 'dermatology', 'oncology', 'pediatrics'];
const difficulties = ['easy', 'medium', 'hard'] as const;
const words = ['dose', 'symptom', 'treatment', 'diagnosis', 'risk', 'therapy', 'screening', 'follow-up', 'contraindication', 'referral', 'trial', 'imaging'];

/** A canonical sample with distinct wording per index (so near-duplicate checks keep it). */
export function makeSample(runId: string, index: number, overrides: Partial<Sample> = {}): Sample {
  const a = words[index % words.length]!;
  const b = words[Math.floor(index / words.length) % words.length]!;
  const approved = index % 5 !== 0;
  return {
    id: `${runId}-${index}`,
    instruction: `Question ${index}: how does ${a} relate to ${b} in case number ${index} of series ${Math.floor(index / 7)}?`,
    input: '',
    output: `In case ${index}, the ${a} guides the ${b}; this is answer number ${index}.`,
    reasoning: `Reasoning for sample ${index}.`,
    difficulty: difficulties[index % 3]!,
    topic: topics[index % topics.length],
    source: { domain: 'medical', run: runId, pipeline: 'cascade' },
    scores: { overall: approved ? 7 + (index % 3) : 4, accuracy: approved ? 8 : 3, completeness: approved ? 7 : 5 },
    status: approved ? 'approved' : 'rejected',
    review: { by: 'judge', reason: approved ? 'Accurate and complete.' : 'Score 4 is below min_score 7: misses the key contraindication.', at: '2026-11-26T00:00:00.000Z' },
    ...overrides,
  };
}

/** Writes a run folder by hand and registers the run as completed. */
export async function writeRun(app: App, kind: RunKind, files: Record<string, unknown[]>, id = `r-test-${kind}-${Math.random().toString(36).slice(2, 8)}`): Promise<RunRecord> {
  const dir = app.engine.runDir(id);
  await mkdir(dir, { recursive: true });
  for (const [name, rows] of Object.entries(files)) await writeFile(path.join(dir, name), rows.map((row) => JSON.stringify(row) + '\n').join(''));
  const now = new Date().toISOString();
  const run: RunRecord = { id, name: `${kind} test ${id}`, kind, status: 'completed', params: {}, createdAt: now, updatedAt: now, finishedAt: now, progress: {}, spentUsd: 0 };
  await app.services.catalog.putRun(run);
  return run;
}

/** A cascade-shaped run: stage_c_validated holds every judged sample, approved ones split into train and golden. */
export async function writeCascadeRun(app: App, samples: number, options: { goldenEvery?: number; id?: string; extraTrain?: Sample[] } = {}): Promise<{ run: RunRecord; all: Sample[]; train: Sample[]; golden: Sample[] }> {
  const id = options.id ?? `r-test-cascade-${Math.random().toString(36).slice(2, 8)}`;
  const all = Array.from({ length: samples }, (_, index) => makeSample(id, index));
  const approved = all.filter((sample) => sample.status === 'approved');
  const every = options.goldenEvery ?? 10;
  const golden = approved.filter((_, index) => index % every === 0);
  const train = [...approved.filter((_, index) => index % every !== 0), ...(options.extraTrain ?? [])];
  const run = await writeRun(app, 'cascade', { 'stage_c_validated.jsonl': [...all, ...(options.extraTrain ?? [])], 'train.jsonl': train, 'golden_test_set.jsonl': golden }, id);
  return { run, all, train, golden };
}

/** What export_dataset answers in structuredContent, as the export tests read it. */
export interface Exported {
  name: string;
  dir: string;
  files: { name: string; path: string; role: string; rows: number; sha256: string }[];
  counts: Record<string, number>;
  notes: string[];
  usage: string[];
}

/** Calls export_dataset through the MCP client and expects it to succeed. */
export async function callExport(client: Client, args: Record<string, unknown>): Promise<Exported> {
  const result = await client.callTool({ name: 'export_dataset', arguments: args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as unknown as Exported;
}
