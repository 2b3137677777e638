import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { textOf } from '../helpers.js';
import { distilledWorld, type DistilledWorld } from '../export/fixtures.js';

interface Page {
  run_id: string;
  samples: { id: string; status: string; score: number | null; difficulty: string; instruction: string; output: string; judge: { reason: string; by: string }; human?: { by: string; action: string }; original?: { instruction: string; output: string } }[];
  matched: number;
  next_cursor: string | null;
  decisions: { sample_id: string; outcome: string; status_before: string; status_after: string }[];
  summary: { total: number; approved: number; rejected: number; approval_rate: number | null; target_met: boolean | null; by_difficulty: { name: string; total: number }[]; by_stage: { name: string; total: number }[]; top_rejection_reasons: { reason: string; count: number }[]; spent_usd: number; cost_per_approved_usd: number | null; human: { reviewed: number } };
}

let fixture: DistilledWorld;
let app: App;
let client: Client;
let runId: string;
let judged: Sample[];

async function review(args: Record<string, unknown>): Promise<Page> {
  const result = await client.callTool({ name: 'review_samples', arguments: args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as unknown as Page;
}

async function allPages(args: Record<string, unknown>, limit = 7): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await review({ ...args, limit, ...(cursor ? { cursor } : {}) });
    ids.push(...page.samples.map((sample) => sample.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return ids;
}

beforeAll(async () => {
  fixture = await distilledWorld();
  ({ app, client, runId } = fixture);
  judged = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'validation_results.jsonl'));
});
afterAll(() => fixture.close());

describe('review_samples', () => {
  it('pages through every judged sample once, in file order, with the judge reason beside each', async () => {
    const ids = await allPages({});
    expect(ids).toEqual(judged.map((sample) => sample.id));
    const page = await review({ limit: 3 });
    expect(page.run_id).toBe(runId);
    for (const sample of page.samples) expect(sample.judge.reason.length).toBeGreaterThan(5);
  });

  it('summarises approval overall, by difficulty and stage, rejection reasons and cost per approved pair', async () => {
    const metrics = JSON.parse(await readFile(path.join(app.engine.runDir(runId), 'metrics.json'), 'utf8'));
    const { summary } = await review({ limit: 1 });
    expect(summary.total).toBe(judged.length);
    expect(summary.approved).toBe(metrics.counts.approved);
    expect(summary.rejected).toBe(metrics.counts.rejected);
    expect(summary.approval_rate).toBeCloseTo(metrics.approval_rate, 10);
    expect(summary.target_met).toBe(metrics.approval_rate >= 0.75);
    expect(summary.by_difficulty.reduce((sum, group) => sum + group.total, 0)).toBe(judged.length);
    expect(summary.by_stage.map((group) => group.name)).toContain('judge');
    expect(summary.top_rejection_reasons[0]!.count).toBeGreaterThan(0);
    expect(summary.spent_usd).toBeCloseTo(app.services.ledger.runSpent(runId), 12);
    expect(summary.cost_per_approved_usd).toBeCloseTo(app.services.ledger.runSpent(runId) / summary.approved, 12);
  });

  it('filters by status, score range, difficulty, words and rejection reason exactly as the file says', async () => {
    const expectIds = async (args: Record<string, unknown>, keep: (sample: Sample) => boolean) => {
      const wanted = judged.filter(keep).map((sample) => sample.id);
      expect(wanted.length, JSON.stringify(args)).toBeGreaterThan(0);
      expect(await allPages(args, 50)).toEqual(wanted);
    };
    await expectIds({ status: 'rejected' }, (sample) => sample.status === 'rejected');
    await expectIds({ min_score: 8.5, max_score: 10 }, (sample) => sample.scores.overall >= 8.5);
    await expectIds({ difficulty: 'hard', status: 'approved' }, (sample) => sample.difficulty === 'hard' && sample.status === 'approved');
    // Every query word must begin some word of the sample: "provis" finds "provision" and "provisions".
    const wordsOf = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u);
    const query = `${judged[4]!.instruction.split(' ')[6]!.slice(0, 5)} PROVIS`;
    await expectIds({ query }, (sample) => {
      const words = wordsOf(`${sample.instruction} ${sample.input} ${sample.output} ${sample.review.reason}`);
      return wordsOf(query).filter(Boolean).every((term) => words.some((word) => word.startsWith(term)));
    });
    expect((await review({ query: 'zzzunknownword' })).matched).toBe(0);
    await expectIds({ rejection_reason: 'shallow' }, (sample) => sample.status === 'rejected' && sample.review.reason.includes('shallow'));
    await expectIds({ source: 'legal_guide' }, () => true);
  });

  it('keeps paging stable when decisions land between pages: no sample repeats or is skipped', async () => {
    const approvedIds = judged.filter((sample) => sample.status === 'approved').map((sample) => sample.id);
    const first = await review({ status: 'approved', limit: 5 });
    expect(first.samples.map((sample) => sample.id)).toEqual(approvedIds.slice(0, 5));
    // Reject one already shown and one still to come; approve a rejected sample that lies after the cursor.
    const later = judged.findLast((sample) => sample.status === 'rejected')!;
    expect(judged.indexOf(later)).toBeGreaterThan(judged.findIndex((sample) => sample.id === approvedIds[10]));
    const second = await review({ status: 'approved', limit: 5, cursor: first.next_cursor, decisions: [{ sample_id: approvedIds[1]!, action: 'reject', note: 'paging test' }, { sample_id: approvedIds[8]!, action: 'reject' }, { sample_id: later.id, action: 'approve' }] });
    expect(second.samples.map((sample) => sample.id)).toEqual([approvedIds[5], approvedIds[6], approvedIds[7], approvedIds[9], approvedIds[10]]);
    let cursor = second.next_cursor;
    const rest: string[] = [];
    while (cursor) {
      const page = await review({ status: 'approved', limit: 5, cursor });
      rest.push(...page.samples.map((sample) => sample.id));
      cursor = page.next_cursor;
    }
    const expected = judged.filter((sample) => (sample.status === 'approved' || sample.id === later.id) && sample.id !== approvedIds[8]).map((sample) => sample.id);
    expect(rest).toEqual(expected.slice(expected.indexOf(approvedIds[10]!) + 1));
    // Undo, so the other tests see the file's statuses.
    await review({ decisions: [{ sample_id: approvedIds[1]!, action: 'approve' }, { sample_id: approvedIds[8]!, action: 'approve' }, { sample_id: later.id, action: 'reject' }] });
  });

  it('continues a page from its cursor alone, and refuses a cursor made with other filters or not made by it', async () => {
    const page = await review({ status: 'approved', limit: 2 });
    expect(page.next_cursor).not.toBeNull();
    const other = await client.callTool({ name: 'review_samples', arguments: { status: 'rejected', cursor: page.next_cursor } });
    expect(other.isError).toBe(true);
    expect(textOf(other)).toMatch(/different filters/);
    const alone = await review({ cursor: page.next_cursor });
    expect(alone.samples.map((sample) => sample.id)).toEqual(judged.filter((sample) => sample.status === 'approved').slice(2, 4).map((sample) => sample.id));
    const junk = await client.callTool({ name: 'review_samples', arguments: { cursor: 'bm90IGEgY3Vyc29y' } });
    expect(junk.isError).toBe(true);
    expect(textOf(junk)).toMatch(/not one review_samples gave out/);
  });

  it('refuses an unknown sample id and applies none of the decisions in that call', async () => {
    const target = judged.find((sample) => sample.status === 'approved')!;
    const before = app.services.catalog.decisions(runId).length;
    const result = await client.callTool({ name: 'review_samples', arguments: { decisions: [{ sample_id: target.id, action: 'reject' }, { sample_id: 'no-such-sample', action: 'approve' }] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/No sample no-such-sample .*No decision was applied/);
    expect(app.services.catalog.decisions(runId).length).toBe(before);
  });

  it('sees samples appended to the file after the index was built', async () => {
    const file = path.join(app.engine.runDir(runId), 'validation_results.jsonl');
    const extra = { ...judged[0]!, id: `${runId}-appended`, instruction: 'An appended question about quorum rules?' };
    await appendFile(file, JSON.stringify(extra) + '\n');
    const page = await review({ query: 'appended question', limit: 5 });
    expect(page.samples.map((sample) => sample.id)).toEqual([extra.id]);
    expect(page.summary.total).toBe(judged.length + 1);
  });
});
