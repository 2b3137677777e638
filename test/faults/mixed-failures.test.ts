import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer, reply, type FakeReply, type FakeRequest } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, textOf } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';

// Every third request fails, in turn, in one of these ways; the rest get good answers.
const faults: { name: string; reply: () => FakeReply }[] = [
  { name: 'rate_limited', reply: () => reply.rateLimited(20) },
  { name: 'server', reply: () => reply.serverError() },
  { name: 'overloaded', reply: () => reply.overloaded() },
  { name: 'malformed', reply: () => reply.text('{"pairs": [{"question": "What is') },
  { name: 'truncated', reply: () => reply.truncated('{"pairs": [{"question": "What is the') },
  { name: 'blank', reply: () => reply.blank() },
  { name: 'timeout', reply: () => reply.hang() },
];

let fake: FakeProviderServer;
let served = 0;
const injected: Record<string, number> = {};
function mixedResponder(request: FakeRequest): FakeReply {
  const number = served++;
  if (number % 3 !== 0) return distilleryResponder(request);
  const fault = faults[(number / 3) % faults.length]!;
  injected[fault.name] = (injected[fault.name] ?? 0) + 1;
  return fault.reply();
}

beforeAll(async () => {
  fake = await FakeProviderServer.start({ latencyMs: 5, responder: mixedResponder });
});
afterAll(async () => fake.close());

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, b) => a + b, 0);

describe('a distill run under 429, 500, 529, malformed, truncated, blank and timed-out answers', () => {
  it('completes, accounts for every generated pair, and counts every failure with its reason', async () => {
    // Long enough that a good answer on a loaded machine never times out (that would be a fault nobody
    // injected); only the hung requests do.
    const limits = { concurrency: 8, requests_per_minute: 1_000_000, timeout_ms: 5000 };
    const world = await makeWorld({ fake, corpus: ['technical_manual.txt'], configFile: { providers: { deepseek: limits, openai: limits, anthropic: limits } } });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 2 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const run = await app.engine.wait((started.structuredContent as { run_id: string }).run_id);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const dir = app.engine.runDir(run.id);
    const metrics = JSON.parse(await readFile(path.join(dir, 'metrics.json'), 'utf8'));
    const generated = await readJsonlArray<{ id: string; filtered: string | null }>(path.join(dir, 'generated_qa_pairs.jsonl'));
    const judged = await readJsonlArray<Sample>(path.join(dir, 'validation_results.jsonl'));

    // Every kind of fault was served, more than once.
    for (const fault of faults) expect(injected[fault.name], fault.name).toBeGreaterThan(1);

    // No lost sample: each unfiltered pair is one line of validation_results.jsonl or one counted failure.
    const kept = generated.filter((pair) => !pair.filtered);
    expect(kept.length).toBeGreaterThan(20);
    const judgedIds = judged.map((sample) => sample.id);
    expect(new Set(judgedIds).size).toBe(judgedIds.length);
    for (const id of judgedIds) expect(kept.map((pair) => pair.id)).toContain(id);
    expect(judged.length + metrics.counts.validation_failures).toBe(kept.length);
    expect(metrics.counts.generated).toBe(generated.length);
    expect(metrics.counts.validated).toBe(judged.length);

    // Every fault is counted with its reason: absorbed ones as retried attempts, the rest as failures.
    const retried = metrics.retried_attempts as Record<string, number>;
    for (const reason of ['provider_rate_limited', 'provider_server', 'provider_overloaded', 'provider_timeout', 'output_truncated', 'output_blank']) {
      expect(retried[reason] ?? metrics.drop_reasons[reason], `${reason} in ${JSON.stringify(retried)}`).toBeGreaterThan(0);
    }
    expect(Object.keys(retried).some((reason) => /^output_(malformed_json|schema_mismatch)$/.test(reason)), JSON.stringify(retried)).toBe(true);
    const failures = metrics.counts.generation_failures + metrics.counts.validation_failures;
    const failureReasons = Object.entries(metrics.drop_reasons as Record<string, number>).filter(([reason]) => /^(provider|output)_/.test(reason));
    expect(sum(Object.fromEntries(failureReasons))).toBe(failures);
    // A failed call's earlier attempts are not kept, so counted faults may fall short only by those.
    const counted = sum(retried) + failures;
    expect(counted).toBeLessThanOrEqual(sum(injected));
    if (failures === 0) expect(counted).toBe(sum(injected));
    await app.close();
    await world.cleanup();
  });
});
