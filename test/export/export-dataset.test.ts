import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { normalizeText } from '../../src/pipelines/dedup.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { textOf, type TestWorld } from '../helpers.js';
import { readJsonlStrictly } from './consumer-rules.js';
import { distillRun, makeSample, writeCascadeRun, writeRun, distilledWorld, type DistilledWorld, callExport, type Exported } from './fixtures.js';


let fixture: DistilledWorld;
let world: TestWorld;
let app: App;
let client: Client;
let runId: string;

const exportDataset = (args: Record<string, unknown>) => callExport(client, args);

async function exportFails(args: Record<string, unknown>): Promise<string> {
  const result = await client.callTool({ name: 'export_dataset', arguments: args });
  expect(result.isError).toBe(true);
  return textOf(result);
}

const rowsOf = async (result: Exported, role: string) => (await readJsonlStrictly(result.files.find((file) => file.role === role)!.path)).rows as unknown as Sample[];

beforeAll(async () => {
  fixture = await distilledWorld();
  ({ world, app, client, runId } = fixture);
});
afterAll(() => fixture.close());

describe('export_dataset', () => {
  it('keeps train disjoint from the golden set: near-duplicates of golden samples are dropped from train and counted', async () => {
    const base = await writeCascadeRun(app, 40, { id: 'r-test-leaky' });
    expect(base.golden.length).toBeGreaterThan(2);
    // The cascade's train file holds three rephrasings of golden questions (a leak the export must catch).
    const leaks = base.golden.slice(0, 3).map((golden, index) => makeSample('r-test-leaky', 900 + index, { instruction: `${golden.instruction} Please explain.`, status: 'approved' }));
    const { run, golden } = await writeCascadeRun(app, 40, { id: 'r-test-leaky-2', extraTrain: leaks });
    for (const split of ['all', 'train'] as const) {
      const result = await exportDataset({ run_ids: [run.id], format: 'jsonl', split, name: `leaky-${split}` });
      expect(result.counts.golden_overlap_dropped).toBe(3);
      const train = await rowsOf(result, 'train');
      const goldenQuestions = new Set(golden.map((sample) => normalizeText(sample.instruction)));
      for (const sample of train) {
        expect(goldenQuestions.has(normalizeText(sample.instruction))).toBe(false);
        expect(leaks.some((leak) => leak.id === sample.id)).toBe(false);
      }
      if (split === 'all') expect((await rowsOf(result, 'golden')).map((sample) => sample.id)).toEqual(golden.map((sample) => sample.id));
    }
  });

  it('merges several runs and removes near-duplicates across them, counted', async () => {
    const second = await distillRun(app, client);
    const approved = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'golden_dataset.jsonl'));
    const result = await exportDataset({ run_ids: [runId, second], format: 'alpaca', split: 'train', name: 'merged' });
    // The fake answers the same document the same way, so the second run repeats the first.
    expect(result.counts.train).toBe(approved.length);
    expect(result.counts.cross_run_duplicates).toBe(approved.length);
    expect(result.counts.by_run).toEqual([{ run_id: runId, train: approved.length, golden: 0, preference: 0 }, { run_id: second, train: 0, golden: 0, preference: 0 }]);
  });

  it('changes the next export by exactly the sample a rejection, an edit or an approval in review_samples names', async () => {
    const judged = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl'));
    const before = await rowsOf(await exportDataset({ run_ids: [runId], format: 'jsonl', split: 'train', name: 'review-effect' }), 'train');
    const [rejected, edited] = [before[3]!, before[7]!];
    const revived = judged.find((sample) => sample.status === 'rejected')!;
    const review = await client.callTool({
      name: 'review_samples',
      arguments: { run_id: runId, decisions: [{ sample_id: rejected.id, action: 'reject', note: 'vague' }, { sample_id: edited.id, action: 'edit', output: 'A better answer, by hand.' }, { sample_id: revived.id, action: 'approve' }] },
    });
    expect(review.isError, textOf(review)).toBeFalsy();
    const result = await exportDataset({ run_ids: [runId], format: 'jsonl', split: 'train', name: 'review-effect' });
    expect(result.counts).toMatchObject({ removed_by_review: 1, edited: 1, added_by_review: 1 });
    const after = await rowsOf(result, 'train');
    const afterById = new Map(after.map((sample) => [sample.id, sample]));
    expect(after).toHaveLength(before.length);
    expect(afterById.has(rejected.id)).toBe(false);
    expect(afterById.get(edited.id)!.output).toBe('A better answer, by hand.');
    expect(afterById.get(edited.id)!.original).toMatchObject({ output: edited.output });
    expect(afterById.get(revived.id)!.status).toBe('approved');
    for (const sample of before) if (sample.id !== rejected.id && sample.id !== edited.id) expect(afterById.get(sample.id)).toEqual(sample);
    // Undo for the other tests.
    await client.callTool({ name: 'review_samples', arguments: { run_id: runId, decisions: [{ sample_id: rejected.id, action: 'approve' }, { sample_id: edited.id, action: 'edit', output: edited.output }, { sample_id: revived.id, action: 'reject' }] } });
  });

  it('with min_score exports every judged sample scoring at least that (judge-rejected ones too), golden still held out', async () => {
    const { run, all, golden } = await writeCascadeRun(app, 50);
    const goldenIds = new Set(golden.map((sample) => sample.id));
    for (const minScore of [8, 4]) {
      const result = await exportDataset({ run_ids: [run.id], format: 'jsonl', split: 'all', min_score: minScore, name: `min-score-${minScore}` });
      const expected = all.filter((sample) => sample.scores.overall >= minScore);
      expect((await rowsOf(result, 'train')).map((sample) => sample.id)).toEqual(expected.filter((sample) => !goldenIds.has(sample.id)).map((sample) => sample.id));
      expect((await rowsOf(result, 'golden')).map((sample) => sample.id)).toEqual(expected.filter((sample) => goldenIds.has(sample.id)).map((sample) => sample.id));
      expect(result.counts.below_min_score).toBe(all.length - expected.length);
    }
  });

  it('refuses a path outside the allowed roots (also through a symlink) or into a run folder, and writes nothing', async () => {
    const outside = path.join(world.dir, 'outside');
    expect(await exportFails({ run_ids: [runId], path: outside })).toMatch(/outside the folders Distillery may write to.*Nothing was written/);
    expect(existsSync(outside)).toBe(false);
    await mkdir(outside);
    await symlink(outside, path.join(world.docs, 'link'));
    expect(await exportFails({ run_ids: [runId], path: path.join(world.docs, 'link', 'sub') })).toMatch(/outside the folders/);
    expect(await readdir(outside)).toEqual([]);
    const runFolder = app.engine.runDir(runId);
    expect(await exportFails({ run_ids: [runId], path: runFolder })).toMatch(/inside DISTILLERY_HOME .*Nothing was written/);
    expect((await readdir(runFolder)).some((file) => file.startsWith('train'))).toBe(false);
    const inside = await exportDataset({ run_ids: [runId], format: 'openai', split: 'train', path: 'datasets/legal' });
    expect(inside.dir).toBe(path.join(world.docs, 'datasets', 'legal'));
    expect((await readdir(inside.dir)).sort()).toEqual(['README.md', 'export.json', 'train.jsonl']);
  });

  it('refuses an export with nothing in it and creates no folder', async () => {
    const empty = await writeRun(app, 'cascade', { 'stage_c_validated.jsonl': [makeSample('r-none', 0)], 'train.jsonl': [], 'golden_test_set.jsonl': [] });
    expect(await exportFails({ run_ids: [empty.id], format: 'jsonl', name: 'nothing' })).toMatch(/Nothing to export .*no approved samples.*Nothing was written/);
    expect(existsSync(path.join(world.home, 'exports', 'nothing'))).toBe(false);
  });

  it('fails with the broken rule and leaves no file when a row would break its consumer\'s rules', async () => {
    const broken = await writeRun(app, 'cascade', { 'train.jsonl': [makeSample('r-broken', 1), makeSample('r-broken', 2, { id: '' })], 'golden_test_set.jsonl': [] });
    const message = await exportFails({ run_ids: [broken.id], format: 'jsonl', split: 'train', name: 'broken' });
    expect(message).toMatch(/^train\.jsonl breaks the canonical sample rules: line 2: id is empty or missing\. Nothing was exported/);
    expect(existsSync(path.join(world.home, 'exports', 'broken'))).toBe(false);
  });

  it('applies review decisions to an ensemble run\'s preference pairs: a reject drops the pair, an edit becomes its chosen answer', async () => {
    const consensus = Array.from({ length: 4 }, (_, index) => makeSample('r-test-pairs', index, { status: 'approved' }));
    const pairs = consensus.map((sample) => ({ id: sample.id, instruction: sample.instruction, input: '', chosen: sample.output, rejected: `A weaker answer to ${sample.id}.` }));
    const run = await writeRun(app, 'ensemble', { 'consensus.jsonl': consensus, 'preference_pairs.jsonl': pairs }, 'r-test-pairs');
    const review = await client.callTool({ name: 'review_samples', arguments: { run_id: run.id, decisions: [{ sample_id: consensus[1]!.id, action: 'reject' }, { sample_id: consensus[2]!.id, action: 'edit', output: 'The edited consensus answer.' }] } });
    expect(review.isError, textOf(review)).toBeFalsy();
    const result = await exportDataset({ run_ids: [run.id], format: 'llama-factory', split: 'train', name: 'pairs' });
    const rows = (await readJsonlStrictly(result.files.find((file) => file.role === 'preference')!.path)).rows;
    expect(rows.map((row) => row.instruction)).toEqual([consensus[0]!.instruction, consensus[2]!.instruction, consensus[3]!.instruction]);
    expect(rows[1]).toMatchObject({ chosen: 'The edited consensus answer.', rejected: `A weaker answer to ${consensus[2]!.id}.` });
    expect(result.counts).toMatchObject({ train: 3, preference: 3, removed_by_review: 2 });
  });

  it('refuses an unsafe export name', async () => {
    expect(await exportFails({ run_ids: [runId], name: '../escape' })).toMatch(/cannot be an export name/);
  });
});
