import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/pipelines/sample.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { connectClient, makeApp, makeWorld, textOf } from '../helpers.js';
import { distillRun } from '../export/fixtures.js';

interface Page {
  samples: { id: string; status: string; instruction: string; output: string; human?: { by: string; action: string; note?: string }; original?: { instruction: string; output: string; status: string } }[];
  decisions: { sample_id: string; outcome: string; status_before: string; status_after: string; message: string }[];
  summary: { approved: number; rejected: number; human: { reviewed: number; edited: number } };
}

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ responder: distilleryResponder });
});
afterAll(async () => fake.close());

describe('review_samples decisions', () => {
  it('records approve, reject and edit with who, when and the original text; the same decision twice changes nothing; they survive a restart', async () => {
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
    const reviewedAt = new Date(Date.UTC(2026, 10, 28, 12));
    let app = await makeApp(world, { now: () => reviewedAt });
    let client = await connectClient(app);
    const runId = await distillRun(app, client);
    const judged = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl'));
    const approved = judged.filter((sample) => sample.status === 'approved');
    const rejected = judged.find((sample) => sample.status === 'rejected')!;
    const [toReject, toEdit] = approved;
    const decisions = [
      { sample_id: toReject!.id, action: 'reject', note: 'Restates the text without explaining it.' },
      { sample_id: toEdit!.id, action: 'edit', output: 'A corrected, fuller answer.', note: 'fixed wording' },
      { sample_id: rejected.id, action: 'approve' },
    ];
    const call = async (args: Record<string, unknown>) => {
      const result = await client.callTool({ name: 'review_samples', arguments: args });
      expect(result.isError, textOf(result)).toBeFalsy();
      return { text: textOf(result), page: result.structuredContent as unknown as Page };
    };
    const first = await call({ decisions, query: 'a corrected fuller answer' });
    expect(first.page.decisions.map((decision) => [decision.outcome, decision.status_after])).toEqual([['applied', 'rejected'], ['applied', 'approved'], ['applied', 'approved']]);
    expect(first.page.samples.map((sample) => sample.id)).toEqual([toEdit!.id]);
    expect(first.page.samples[0]!.original).toEqual({ instruction: toEdit!.instruction, output: toEdit!.output, status: 'approved' });
    expect(first.page.summary.human).toMatchObject({ reviewed: 3, edited: 1 });
    const stored = app.services.catalog.decisions(runId);
    expect(stored).toHaveLength(3);
    for (const decision of stored) {
      expect(decision.by).toBe('distillery-test');
      expect(decision.at).toBe(reviewedAt.toISOString());
    }
    expect(stored[0]!.original).toEqual({ instruction: toReject!.instruction, output: toReject!.output, status: 'approved' });

    const again = await call({ decisions });
    expect(again.page.decisions.map((decision) => decision.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(again.text).toMatch(/nothing changed/);
    expect(app.services.catalog.decisions(runId)).toHaveLength(3);

    await client.close();
    await app.close();
    app = await makeApp(world);
    client = await connectClient(app);
    const after = await call({ limit: 100, max_chars: 100_000 });
    const byId = new Map(after.page.samples.map((sample) => [sample.id, sample]));
    expect(byId.get(toReject!.id)).toMatchObject({ status: 'rejected', human: { action: 'reject', by: 'distillery-test', note: 'Restates the text without explaining it.' } });
    expect(byId.get(toEdit!.id)).toMatchObject({ status: 'approved', output: 'A corrected, fuller answer.', instruction: toEdit!.instruction });
    expect(byId.get(rejected.id)!.status).toBe('approved');
    expect(after.page.summary.approved).toBe(approved.length);
    // The files were never rewritten: decisions live beside them.
    const fileAgain = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl'));
    expect(fileAgain).toEqual(judged);
    await client.close();
    await app.close();
    await world.cleanup();
  });

  it('records both of two decisions sent at once on one sample, and the later one wins', async () => {
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const runId = await distillRun(app, client, 'legal_guide.txt', 2);
    const target = (await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl'))).find((sample) => sample.status === 'approved')!;
    const other = await connectClient(app);
    const [a, b] = await Promise.all([
      client.callTool({ name: 'review_samples', arguments: { decisions: [{ sample_id: target.id, action: 'reject', note: 'first' }] } }),
      other.callTool({ name: 'review_samples', arguments: { decisions: [{ sample_id: target.id, action: 'edit', output: 'Second take on the answer.', note: 'second' }] } }),
    ]);
    expect(a.isError || b.isError).toBeFalsy();
    const stored = app.services.catalog.decisions(runId).filter((decision) => decision.sampleId === target.id);
    expect(stored).toHaveLength(2);
    const last = stored.at(-1)!;
    const page = (await client.callTool({ name: 'review_samples', arguments: { query: target.instruction.slice(0, 60) } })).structuredContent as unknown as Page;
    const shown = page.samples.find((sample) => sample.id === target.id)!;
    expect(shown.status).toBe(last.action === 'reject' ? 'rejected' : 'approved');
    expect(shown.human!.action).toBe(last.action);
    await client.close();
    await other.close();
    await app.close();
    await world.cleanup();
  });

  it('refuses an edit without new text', async () => {
    const world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const runId = await distillRun(app, client, 'legal_guide.txt', 1);
    const target = (await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl')))[0]!;
    const result = await client.callTool({ name: 'review_samples', arguments: { decisions: [{ sample_id: target.id, action: 'edit', output: '   ' }] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/neither a new instruction nor a new output/);
    expect(app.services.catalog.decisions(runId)).toHaveLength(0);
    await client.close();
    await app.close();
    await world.cleanup();
  });
});
