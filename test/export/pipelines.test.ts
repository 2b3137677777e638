import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/pipelines/sample.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { connectClient, makeApp, makeWorld, textOf } from '../helpers.js';
import { readJsonlStrictly } from './consumer-rules.js';

let fake: FakeProviderServer;
beforeAll(async () => {
  fake = await FakeProviderServer.start({ responder: distilleryResponder });
});
afterAll(async () => fake.close());

describe('review and export of real cascade and ensemble runs', () => {
  it('reviews a cascade run and exports its train and held-out golden files exactly, then adds an ensemble run with its preference pairs', async () => {
    const world = await makeWorld({ fake });
    const app = await makeApp(world);
    const client = await connectClient(app);
    const started = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 80, golden_fraction: 0.1 } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const cascadeId = (started.structuredContent as { run_id: string }).run_id;
    expect((await app.engine.wait(cascadeId)).status).toBe('completed');
    const dir = app.engine.runDir(cascadeId);
    const read = (name: string) => readJsonlArray<Sample>(path.join(dir, name));
    const [judged, train, golden] = await Promise.all([read('stage_c_validated.jsonl'), read('train.jsonl'), read('golden_test_set.jsonl')]);

    const review = await client.callTool({ name: 'review_samples', arguments: { run_id: cascadeId, limit: 1 } });
    expect((review.structuredContent as { summary: { total: number; approved: number } }).summary).toMatchObject({ total: judged.length, approved: judged.filter((sample) => sample.status === 'approved').length });

    const exported = await client.callTool({ name: 'export_dataset', arguments: { run_ids: [cascadeId], format: 'jsonl', split: 'all', name: 'cascade-all' } });
    expect(exported.isError, textOf(exported)).toBeFalsy();
    const files = (exported.structuredContent as { files: { role: string; path: string }[] }).files;
    const ids = async (role: string) => (await readJsonlStrictly(files.find((file) => file.role === role)!.path)).rows.map((row) => row.id);
    expect(await ids('train')).toEqual(train.map((sample) => sample.id));
    expect(await ids('golden')).toEqual(golden.map((sample) => sample.id));

    const ensemble = await client.callTool({ name: 'start_ensemble', arguments: { run_id: cascadeId, samples: 8 } });
    expect(ensemble.isError, textOf(ensemble)).toBeFalsy();
    const ensembleId = (ensemble.structuredContent as { run_id: string }).run_id;
    expect((await app.engine.wait(ensembleId)).status).toBe('completed');
    const pairs = await readJsonlArray(path.join(app.engine.runDir(ensembleId), 'preference_pairs.jsonl'));
    const merged = await client.callTool({ name: 'export_dataset', arguments: { run_ids: [cascadeId, ensembleId], format: 'llama-factory', split: 'all', name: 'merged' } });
    expect(merged.isError, textOf(merged)).toBeFalsy();
    const counts = (merged.structuredContent as { counts: { golden: number; preference: number; golden_overlap_dropped: number } }).counts;
    expect(counts.golden).toBe(golden.length);
    // Pairs whose prompt is a golden question are held out; the golden set is a tenth, so most pairs stay.
    expect(pairs.length).toBeGreaterThan(2);
    expect(counts.preference).toBeGreaterThan(0);
    expect(counts.preference).toBeLessThanOrEqual(pairs.length);
    await client.close();
    await app.close();
    await world.cleanup();
  });
});
