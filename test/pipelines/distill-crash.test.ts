import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer, reply } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { cliCommand, connectClient, makeApp, makeWorld, sentinels, type TestWorld } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';

const concurrency = 2;

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 60, responder: distilleryResponder });
});
afterAll(async () => fake.close());

function worldWithLimits(): Promise<TestWorld> {
  const limits = { concurrency, requests_per_minute: 100_000 };
  return makeWorld({ fake, corpus: ['technical_manual.txt'], configFile: { providers: { deepseek: limits, openai: limits, anthropic: limits } } });
}

function cli(world: TestWorld, args: string[]) {
  const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], {
    cwd: world.dir,
    env: { ...process.env, ...world.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

function goldenKeys(samples: Sample[]): string[] {
  // Ids carry the run id; compare by chunk and position plus the text itself.
  return samples.map((s) => `${s.id.split('-').slice(-2).join('-')}|${s.instruction}|${s.output}`).sort();
}

describe('distill_file crash and resume', () => {
  it('a child killed with SIGKILL mid-run and resumed ends with the same golden set, paying again only for calls in flight', async () => {
    // The uninterrupted reference run, in process.
    const reference = await worldWithLimits();
    const before = fake.requests.length;
    const app = await makeApp(reference);
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 2 } });
    const referenceRun = await app.engine.wait((started.structuredContent as { run_id: string }).run_id);
    expect(referenceRun.status).toBe('completed');
    const referenceCalls = fake.requests.length - before;
    const referenceGolden = await readJsonlArray<Sample>(path.join(app.engine.runDir(referenceRun.id), 'golden_dataset.jsonl'));
    await app.close();
    expect(referenceGolden.length).toBeGreaterThan(5);

    // The same run in a child process, killed part-way.
    const world = await worldWithLimits();
    const startCalls = fake.requests.length;
    // Past half of the calls the fake stops answering, so the child is surely mid-run when it is
    // killed, however slowly this test gets to look.
    const gate = startCalls + Math.ceil(referenceCalls / 2);
    fake.responder = (request) => (fake.requests.length > gate ? reply.hang() : distilleryResponder(request));
    const first = cli(world, ['distill', '--input', 'technical_manual.txt', '--pairs-per-chunk', '2']);
    const catalogFile = path.join(world.home, 'catalog.json');
    let runId: string | undefined;
    let journal = '';
    let exited = false;
    void first.exited.then(() => (exited = true));
    // Until a third of the calls are journaled, or the child ends (asserted below).
    while (!exited) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (!runId && existsSync(catalogFile)) runId = JSON.parse(readFileSync(catalogFile, 'utf8')).runs[0]?.id;
      journal = runId ? path.join(world.home, 'runs', runId, 'calls.jsonl') : '';
      if (journal && existsSync(journal) && readFileSync(journal, 'utf8').split('\n').length > referenceCalls / 3) break;
    }
    expect(runId, first.output()).toBeDefined();
    expect(exited, first.output()).toBe(false);
    first.child.kill('SIGKILL');
    await first.exited;
    fake.responder = distilleryResponder;
    const journaledAtKill = (await readFile(journal, 'utf8')).split('\n').filter(Boolean).length;
    expect(journaledAtKill).toBeLessThan(referenceCalls);

    const second = cli(world, ['resume', runId!]);
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    const resumedGolden = await readJsonlArray<Sample>(path.join(world.home, 'runs', runId!, 'golden_dataset.jsonl'));
    expect(goldenKeys(resumedGolden)).toEqual(goldenKeys(referenceGolden));
    expect(new Set(resumedGolden.map((s) => s.id)).size).toBe(resumedGolden.length);

    // Paid again: at most the calls in flight when the process died (one window per provider).
    const paid = fake.requests.length - startCalls;
    expect(paid).toBeGreaterThanOrEqual(referenceCalls);
    const seen = new Map<string, number>();
    for (const request of fake.requests.slice(startCalls)) seen.set(request.system.slice(0, 30) + request.userText, (seen.get(request.system.slice(0, 30) + request.userText) ?? 0) + 1);
    const repeated = [...seen.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${n}x ${k.slice(0, 40)}|${k.slice(-80)}`);
    expect(paid - referenceCalls, repeated.join('\n')).toBeLessThanOrEqual(2 * concurrency);

    // The catalog is intact and no key reached any file.
    const catalog = JSON.parse(await readFile(catalogFile, 'utf8'));
    expect(catalog.runs.find((run: { id: string }) => run.id === runId).status).toBe('completed');
    const metrics = await readFile(path.join(world.home, 'runs', runId!, 'metrics.json'), 'utf8');
    expect(JSON.parse(metrics).calls.replayed_from_journal).toBe(journaledAtKill);
    for (const secret of Object.values(sentinels)) expect(second.output() + first.output() + metrics).not.toContain(secret);
    await reference.cleanup();
    await world.cleanup();
  });
});
