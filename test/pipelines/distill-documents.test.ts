/** "distill tenancy_guide.pdf" and "distill the folder contracts/" from chat (a real MCP client) and the command line, against the fake providers. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import type { App } from '../../src/app.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';
import { cli } from '../faults/child-process.js';
import { guideFacts, writeDocumentFolder } from '../documents/fixtures.js';

const fake = sharedFake();
let world: TestWorld;
let app: App;
let client: Client;

beforeAll(async () => {
  world = await makeWorld({ fake });
  await writeDocumentFolder(world.docs);
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await client.close();
  await app.close();
  await world.cleanup();
});

async function call(name: string, args: Record<string, unknown>) {
  const result = await client.callTool({ name, arguments: args });
  expect(result.isError, textOf(result)).toBeFalsy();
  return { text: textOf(result), data: result.structuredContent as Record<string, any> };
}

interface ChunkRow {
  file: string;
  index: number;
  text: string;
  heading_path: string;
  page?: number;
  pages?: number[];
}

describe('documents from chat', () => {
  it('lists each document with its type, pages or sections, words and cost', async () => {
    const { text, data } = await call('list_documents', {});
    expect(text).toMatch(/- tenancy_guide\.pdf \(5 KB, about \$[\d.]+ to distill; PDF, 3 pages, [\d,]+ words, \d+ chunks?\)/);
    expect(text).toMatch(/- contracts\/lease\.docx \(\d+ KB, about \$[\d.]+ to distill; DOCX, \d+ words/);
    expect(text).toMatch(/- contracts\/terms\.epub \(\d+ KB, about \$[\d.]+ to distill; EPUB, 2 sections/);
    const guide = data.documents.find((row: { relative: string }) => row.relative === 'tenancy_guide.pdf');
    expect(guide).toMatchObject({ type: 'pdf', pages: 3, warnings: [] });
    expect(guide.cost_usd).toBeGreaterThan(0);
  });

  it('a dry run shows the first chunks as extracted, with page and heading path', async () => {
    const { text, data } = await call('distill_file', { path: 'tenancy_guide.pdf', dry_run: true, chunk_tokens: 200 });
    expect(text).toMatch(/^Dry run, nothing spent\. tenancy_guide\.pdf: \d+ chunks/);
    expect(text).toContain('Read as PDF, 3 pages');
    expect(text).toContain('The first 3 chunks as extracted:\n--- chunk 0 (tenancy_guide.pdf, p. 1, Part II > Tenancy; ');
    expect(data.first_chunks[0]).toMatchObject({ file: 'tenancy_guide.pdf', page: 1, heading_path: 'Part II > Tenancy' });
    expect(data.documents[0]).toMatchObject({ type: 'pdf', pages: 3, headings: 5, tables: 1, boilerplate_lines_dropped: 6 });
  });

  it('distills tenancy_guide.pdf: chunks carry heading_path, page and pages, the table is whole, review shows page and heading', async () => {
    const { data } = await call('distill_file', { path: 'tenancy_guide.pdf', chunk_tokens: 300 });
    const run = await app.engine.wait(data.run_id);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const chunks = await readJsonlArray<ChunkRow>(path.join(app.engine.runDir(data.run_id), 'chunks.jsonl'));
    for (const chunk of chunks) {
      expect(chunk.file).toBe('tenancy_guide.pdf');
      expect(chunk.page).toBe(chunk.pages![0]);
      expect(typeof chunk.heading_path).toBe('string');
    }
    const table = chunks.filter((chunk) => chunk.text.includes('| Fee item'));
    expect(table).toHaveLength(1);
    expect(table[0]!.text).toContain(guideFacts.tableHeader);
    expect(table[0]!.heading_path).toBe('Part II > Tenancy > Fees');
    expect(table[0]!.pages).toEqual([2, 3]);

    const review = await call('review_samples', { run_id: data.run_id, limit: 50 });
    expect(review.data.samples.length).toBeGreaterThan(0);
    for (const sample of review.data.samples) expect(sample.location).toMatch(/^tenancy_guide\.pdf, pp?\. \d(-\d)?, Part II/);
    expect(review.text).toMatch(/From: tenancy_guide\.pdf, pp?\. \d(-\d)?, Part II > Tenancy/);
    const golden = await readJsonlArray<Sample>(path.join(app.engine.runDir(data.run_id), 'golden_dataset.jsonl'));
    expect(golden.length).toBeGreaterThan(0);
    for (const sample of golden) expect(sample.source).toMatchObject({ file: 'tenancy_guide.pdf', page: expect.any(Number), location: expect.stringMatching(/^tenancy_guide\.pdf, pp?\. /) });
  });

  it('distills the folder contracts/: every document in one run, each sample tracing back to its file and section', async () => {
    const { text, data } = await call('distill_file', { path: 'contracts/' });
    expect(text).toMatch(/contracts\/:\n- contracts\/lease\.docx \(DOCX, \d+ words\): 1 chunk\n- contracts\/notice\.html \(HTML, \d+ words\): 1 chunk\n- contracts\/terms\.epub \(EPUB, 2 sections, \d+ words\): \d chunks?\n/);
    expect(data.documents.map((document: { relative: string }) => document.relative)).toEqual(['contracts/lease.docx', 'contracts/notice.html', 'contracts/terms.epub']);
    const run = await app.engine.wait(data.run_id);
    expect(run.status, JSON.stringify(run.pause ?? run.error)).toBe('completed');
    const chunks = await readJsonlArray<ChunkRow>(path.join(app.engine.runDir(data.run_id), 'chunks.jsonl'));
    expect(new Set(chunks.map((chunk) => chunk.file))).toEqual(new Set(['contracts/lease.docx', 'contracts/notice.html', 'contracts/terms.epub']));
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, index) => index));
    for (const chunk of chunks) expect(chunk.page).toBeUndefined();
    const validated = await readJsonlArray<Sample>(path.join(app.engine.runDir(data.run_id), 'validation_results.jsonl'));
    expect(new Set(validated.map((sample) => sample.source.file))).toEqual(new Set(['contracts/lease.docx', 'contracts/notice.html', 'contracts/terms.epub']));
    const review = await call('review_samples', { run_id: data.run_id, source: 'lease.docx' });
    expect(review.text).toMatch(/From: contracts\/lease\.docx, Residential Lease/);
  });

  it('the bare folder name works too', async () => {
    const { data } = await call('distill_file', { path: 'contracts', dry_run: true });
    expect(data.documents).toHaveLength(3);
  });
});

describe('documents from the command line', () => {
  it('distill --input tenancy_guide.pdf runs to the end', async () => {
    // The app above holds no lock while idle; the child gets its own home so the two never meet.
    const child = cli({ ...world, env: { ...world.env, DISTILLERY_HOME: path.join(world.dir, 'cli-home') } }, ['distill', '--input', 'tenancy_guide.pdf']);
    const code = await child.exited;
    expect(code, child.output()).toBe(0);
    expect(child.output()).toMatch(/tenancy_guide\.pdf: \d+ chunks?, .* Read as PDF, 3 pages/);
    const runDir = /Files: (\S+)/.exec(child.output())![1]!;
    expect(child.output()).toMatch(/pairs validated, .* completed\./);
    const chunks = await readJsonlArray<ChunkRow>(path.join(runDir, 'chunks.jsonl'));
    expect(chunks[0]).toMatchObject({ file: 'tenancy_guide.pdf', page: 1, pages: [1, 2, 3] });
  });
});
