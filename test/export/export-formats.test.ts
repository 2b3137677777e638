import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { Sample } from '../../src/pipelines/sample.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { textOf } from '../helpers.js';
import { expectAlpaca, expectMatchesEntry, expectOpenAi, expectShareGpt, readJsonlStrictly, type Row } from './consumer-rules.js';
import { makeSample, writeCascadeRun, writeRun, distilledWorld, type DistilledWorld, callExport, type Exported } from './fixtures.js';


let fixture: DistilledWorld;
let app: App;
let client: Client;
let runId: string;
let approved: Sample[];

const exportDataset = (args: Record<string, unknown>) => callExport(client, args);

beforeAll(async () => {
  fixture = await distilledWorld();
  ({ app, client, runId } = fixture);
  approved = await readJsonlArray<Sample>(path.join(app.engine.runDir(runId), 'golden_dataset.jsonl'));
});
afterAll(() => fixture.close());

describe('export_dataset formats', () => {
  const system = 'You answer questions about the legal guide.';
  const cases: [string, (row: Row) => void][] = [
    ['alpaca', (row) => expectAlpaca(row, system)],
    ['sharegpt', (row) => expectShareGpt(row, system)],
    ['openai', (row) => expectOpenAi(row, system)],
    ['jsonl', (row) => expect(typeof row.id === 'string' && row.status === 'approved').toBe(true)],
  ];
  for (const [format, rules] of cases) {
    it(`writes ${format} that its consumer's rules read back, one object per line, with the reported counts and sha256`, async () => {
      const result = await exportDataset({ run_ids: [runId], format, split: 'train', system_prompt: system, reasoning: 'think' });
      expect(result.files.map((file) => file.name)).toEqual(['train.jsonl', 'README.md']);
      const file = result.files[0]!;
      const { rows, sha256 } = await readJsonlStrictly(file.path);
      expect(sha256).toBe(file.sha256);
      expect(rows).toHaveLength(approved.length);
      expect(file.rows).toBe(approved.length);
      rows.forEach(rules);
      if (format !== 'jsonl') {
        const answer = JSON.stringify(rows[0]);
        expect(answer).toContain('<think>\\n' + approved[0]!.reasoning);
        expect(answer).toContain('</think>\\n\\n' + approved[0]!.output.slice(0, 20));
      }
    });
  }

  it('leaves the reasoning out by default', async () => {
    const result = await exportDataset({ run_ids: [runId], format: 'alpaca', split: 'train', name: 'plain-alpaca' });
    const { rows } = await readJsonlStrictly(result.files[0]!.path);
    expect(rows.map((row) => row.output)).toEqual(approved.map((sample) => sample.output));
    for (const row of rows) expectAlpaca(row);
  });

  it("exports a distillation's approved output as train under split all, with a note that it holds no separate golden set", async () => {
    const result = await exportDataset({ run_ids: [runId], format: 'jsonl', split: 'all', name: 'distill-all' });
    expect(result.files.map((file) => file.role)).toEqual(['train', 'dataset_card']);
    expect(result.notes.join(' ')).toMatch(/No held-out golden file/);
    const golden = await exportDataset({ run_ids: [runId], format: 'jsonl', split: 'golden', name: 'distill-golden' });
    expect(golden.files.filter((file) => file.role !== 'dataset_card').map((file) => [file.role, file.rows])).toEqual([['golden', approved.length]]);
  });

  for (const style of ['alpaca', 'sharegpt', 'openai'] as const) {
    it(`llama-factory (${style} rows): dataset_info.json registers exactly the files, golden as its own entry and preference pairs with ranking`, async () => {
      const cascade = await writeCascadeRun(app, 60);
      const pairs = Array.from({ length: 6 }, (_, index) => ({ id: `pair-${index}`, instruction: `Which treatment suits patient group ${index} with renal impairment?`, chosen: `Adjust the dose for group ${index}.`, rejected: `Use the standard dose for group ${index}.` }));
      const ensemble = await writeRun(app, 'ensemble', { 'consensus.jsonl': Array.from({ length: 5 }, (_, index) => makeSample('ens', 200 + index, { status: 'approved' })), 'preference_pairs.jsonl': pairs });
      const name = `lf-${style}`;
      const result = await exportDataset({ run_ids: [cascade.run.id, ensemble.id], format: 'llama-factory', split: 'all', llama_factory_style: style, system_prompt: 'Be precise.', name });
      const info = JSON.parse(await readFile(path.join(result.dir, 'dataset_info.json'), 'utf8')) as Record<string, { file_name: string; formatting?: string; ranking?: boolean; columns: Record<string, string>; tags?: Record<string, string> }>;
      expect(Object.keys(info).sort()).toEqual([`${name}_golden`, `${name}_preference`, `${name}_train`]);
      const dataFiles = (await readdir(result.dir)).filter((file) => file.endsWith('.jsonl')).sort();
      expect(Object.values(info).map((entry) => entry.file_name).sort()).toEqual(dataFiles);
      expect(info[`${name}_preference`]).toMatchObject({ ranking: true, columns: { chosen: 'chosen', rejected: 'rejected' } });
      if (style === 'openai') expect(info[`${name}_train`]).toMatchObject({ formatting: 'sharegpt', columns: { messages: 'messages' }, tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' } });
      if (style === 'sharegpt') expect(info[`${name}_train`]).toMatchObject({ formatting: 'sharegpt', columns: { messages: 'conversations' } });
      if (style === 'alpaca') expect(info[`${name}_train`]!.columns).toEqual({ prompt: 'instruction', query: 'input', response: 'output', system: 'system' });
      for (const entry of Object.values(info)) {
        const { rows } = await readJsonlStrictly(path.join(result.dir, entry.file_name));
        expect(rows.length).toBeGreaterThan(0);
        for (const row of rows) expectMatchesEntry(entry, row);
      }
      expect(result.counts).toMatchObject({ golden: cascade.golden.length, train: cascade.train.length + 5, preference: 6 });
      expect(result.usage).toEqual(expect.arrayContaining([`dataset: ${name}_train`, `golden (held out of training, for evaluate_model): ${name}_golden`]));
    });
  }
});
