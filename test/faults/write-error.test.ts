import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { lineCount, sleep } from './child-process.js';

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 20, responder: distilleryResponder });
});
afterAll(async () => fake.close());

function worldWithLimits(): Promise<TestWorld> {
  const limits = { concurrency: 2, requests_per_minute: 1_000_000 };
  return makeWorld({ fake, corpus: ['technical_manual.txt'], configFile: { providers: { deepseek: limits, openai: limits, anthropic: limits } } });
}

async function goldenOf(dir: string) {
  const golden = await readJsonlArray<Sample>(path.join(dir, 'golden_dataset.jsonl'));
  return golden.map((s) => JSON.stringify([s.instruction, s.output])).sort();
}

describe('a run whose output file cannot be written', () => {
  it('pauses with reason write_error and a message naming the run folder, keeps its journal, and completes once the obstacle is gone', async () => {
    // The uninterrupted reference.
    const reference = await worldWithLimits();
    const referenceApp = await makeApp(reference);
    const referenceClient = await connectClient(referenceApp);
    const referenceStart = await referenceClient.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 2 } });
    const referenceRun = await referenceApp.engine.wait((referenceStart.structuredContent as { run_id: string }).run_id);
    expect(referenceRun.status).toBe('completed');
    const expected = await goldenOf(referenceApp.engine.runDir(referenceRun.id));
    await referenceApp.close();

    // A run interrupted part-way by its process shutting down.
    const world = await worldWithLimits();
    let app = await makeApp(world);
    let client = await connectClient(app);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 2 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const runId = (started.structuredContent as { run_id: string }).run_id;
    const dir = app.engine.runDir(runId);
    const journal = path.join(dir, 'calls.jsonl');
    while (lineCount(journal) < 5 && app.engine.get(runId).status === 'running') await sleep(10);
    await app.close();
    expect(app.engine.get(runId).status).toBe('interrupted');
    const journaled = lineCount(journal);

    // The output file's path is now a directory: opening it for writing fails.
    const blocked = path.join(dir, 'validation_results.jsonl');
    await rm(blocked, { force: true });
    await mkdir(blocked);
    await writeFile(path.join(blocked, 'obstacle'), 'x');
    app = await makeApp(world);
    client = await connectClient(app);
    const resumed = await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect(resumed.isError, textOf(resumed)).toBeFalsy();
    const paused = await app.engine.wait(runId);
    expect(paused.status, JSON.stringify(paused.error)).toBe('paused');
    expect(paused.pause?.reason).toBe('write_error');
    expect(paused.pause?.message).toContain(dir);
    expect(paused.pause?.message).toMatch(/resume_run/);
    // Nothing already paid for was lost.
    expect(lineCount(journal)).toBeGreaterThanOrEqual(journaled);
    const catalog = JSON.parse(await readFile(path.join(world.home, 'catalog.json'), 'utf8'));
    expect(catalog.runs.find((run: { id: string }) => run.id === runId).pause.reason).toBe('write_error');

    // Obstacle removed: resume_run completes with the same golden set as the reference.
    await rm(blocked, { recursive: true });
    const again = await client.callTool({ name: 'resume_run', arguments: { run_id: runId } });
    expect(again.isError, textOf(again)).toBeFalsy();
    const finished = await app.engine.wait(runId);
    expect(finished.status, JSON.stringify(finished.pause ?? finished.error)).toBe('completed');
    expect((await stat(blocked)).isFile()).toBe(true);
    expect(await goldenOf(dir)).toEqual(expected);
    await app.close();
    await reference.cleanup();
    await world.cleanup();
  });
});
