import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { connectClient, makeApp, makeWorld, sentinels, serveHttp, textOf, type TestWorld } from '../helpers.js';

const clients = 20;
const rounds = 10;

interface RunStatus { status: string; spent_usd: number; counts: Record<string, number>; stages: Record<string, { done: number; ok: number; failed: number }> }
interface Review { summary: { total: number; approved: number; rejected: number; pending: number; spent_usd: number }; matched: number; samples: { status: string }[] }

let fake: FakeProviderServer;
let world: TestWorld;
let app: App;
let url: string;
let stop: () => Promise<void>;

beforeAll(async () => {
  fake = await FakeProviderServer.start();
  fake.responder = distilleryResponder;
  // Some latency, so the run is still writing while the clients read.
  fake.latencyMs = 15;
  world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
  app = await makeApp(world);
  const http = await serveHttp(app);
  url = `${http.url}/mcp`;
  stop = http.stop;
});
afterAll(async () => {
  await stop();
  await app.close();
  await world.cleanup();
  await fake.close();
});

function call(client: Client, name: string, args: Record<string, unknown>) {
  return client.callTool({ name, arguments: args }).then((result) => {
    expect(result.isError, `${name}: ${textOf(result)}`).toBeFalsy();
    for (const secret of Object.values(sentinels)) expect(JSON.stringify(result)).not.toContain(secret);
    return result.structuredContent;
  });
}

/** One client's loop: every read must be at least as far along as the one before it. */
const statusesSeen = new Set<string>();

async function reader(client: Client, runId: string, index: number): Promise<number> {
  let last: RunStatus | undefined;
  let lastSpent = 0;
  let reads = 0;
  for (let round = 0; round < rounds; round++) {
    const status = (await call(client, 'run_status', { run_id: runId })) as RunStatus;
    statusesSeen.add((status as unknown as { status: string }).status);
    if (last) {
      for (const [name, value] of Object.entries(last.counts)) expect(status.counts[name] ?? 0, `counts.${name}`).toBeGreaterThanOrEqual(value);
      for (const [stage, value] of Object.entries(last.stages)) expect(status.stages[stage]?.done ?? 0, `stages.${stage}.done`).toBeGreaterThanOrEqual(value.done);
      expect(status.spent_usd).toBeGreaterThanOrEqual(last.spent_usd);
    }
    if (status.counts.approved !== undefined && status.counts.judged !== undefined) expect(status.counts.approved).toBeLessThanOrEqual(status.counts.judged);
    last = status;
    const list = (await call(client, 'list_runs', {})) as { runs: { run_id: string }[]; total: number };
    expect(list.runs.map((run) => run.run_id)).toContain(runId);
    const budget = (await call(client, 'budget_status', {})) as { spent_usd: number };
    expect(budget.spent_usd).toBeGreaterThanOrEqual(lastSpent);
    lastSpent = budget.spent_usd;
    const review = (await call(client, 'review_samples', { run_id: runId, limit: 5 + (index % 5) })) as Review;
    const { summary } = review;
    expect(summary.approved + summary.rejected + summary.pending).toBe(summary.total);
    // With no filter, the matches and the summary of one call describe the same moment of the file.
    expect(review.matched).toBe(summary.total);
    expect(review.samples.length).toBeLessThanOrEqual(review.matched);
    expect(summary.approved).toBeLessThanOrEqual(summary.total);
    reads += 4;
  }
  return reads;
}

describe('20 MCP clients over HTTP while a distill run writes', () => {
  it('get no errors and consistent, never-shrinking reads', async () => {
    const starter = await connectClient(app);
    const started = await starter.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: 2 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const runId = (started.structuredContent as { run_id: string }).run_id;

    const connected = await Promise.all(
      Array.from({ length: clients }, async (_, index) => {
        const client = new Client({ name: `reader-${index}`, version: '1.0.0' });
        await client.connect(new StreamableHTTPClientTransport(new URL(url)));
        return client;
      }),
    );
    const reads = await Promise.all(connected.map((client, index) => reader(client, runId, index)));
    expect(reads.reduce((sum, value) => sum + value, 0)).toBe(clients * rounds * 4);
    // The reads really overlapped the writing run.
    expect(statusesSeen).toContain('running');

    const run = await app.engine.wait(runId);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    // After the run, every client sees the same final figures.
    const finals = await Promise.all(connected.map((client) => call(client, 'review_samples', { run_id: runId, limit: 1 }) as Promise<Review>));
    for (const final of finals) expect(final.summary).toEqual(finals[0]!.summary);
    for (const final of finals) expect(final.matched).toBe(final.summary.total);
    expect(finals[0]!.summary.total).toBeGreaterThan(0);
    await Promise.all(connected.map((client) => client.close()));
    await starter.close();
  });
});
