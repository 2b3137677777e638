import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatasetInfo, dataEntry, preferenceEntry } from '../../src/export/dataset-info.js';
import { canonicalRowCheck, checkJsonlFile, entryRowCheck, ExportCheckError, openaiRowCheck } from '../../src/export/validators.js';
import { ExportFileWriter } from '../../src/export/writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-validators-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('export row checks', () => {
  it('rejects OpenAI rows with turns out of order, empty content or extra keys', () => {
    const user = { role: 'user', content: 'Q?' };
    const assistant = { role: 'assistant', content: 'A.' };
    expect(openaiRowCheck({ messages: [{ role: 'system', content: 'S' }, user, assistant] })).toBeUndefined();
    expect(openaiRowCheck({ messages: [assistant, user] })).toMatch(/turn 1 has role "assistant" where "user" belongs/);
    expect(openaiRowCheck({ messages: [user, { role: 'assistant', content: ' ' }] })).toMatch(/turn 2 has an empty "content"/);
    expect(openaiRowCheck({ messages: [user] })).toMatch(/1 turns/);
    expect(openaiRowCheck({ messages: [user, assistant], id: 'x' })).toMatch(/only "messages" belongs/);
  });

  it('checks ShareGPT and Alpaca rows as their LLaMA-Factory entries declare them', () => {
    const sharegpt = entryRowCheck(dataEntry('sharegpt', 'train.jsonl', true));
    expect(sharegpt({ conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }], system: 'S' })).toBeUndefined();
    expect(sharegpt({ conversations: [{ from: 'human', value: 'Q' }, { from: 'gpt', value: 'A' }] })).toMatch(/system/);
    expect(sharegpt({ conversations: [{ from: 'gpt', value: 'A' }, { from: 'human', value: 'Q' }], system: 'S' })).toMatch(/human at odd positions, gpt at even/);
    const alpaca = entryRowCheck(dataEntry('alpaca', 'train.jsonl', false));
    expect(alpaca({ instruction: 'Q', input: '', output: 'A' })).toBeUndefined();
    expect(alpaca({ instruction: 'Q', output: 'A' })).toMatch(/query/);
    expect(alpaca({ instruction: 'Q', input: '', output: '' })).toMatch(/response/);
    const ranking = entryRowCheck(preferenceEntry('preference.jsonl', false));
    expect(ranking({ instruction: 'Q', input: '', chosen: 'A', rejected: 'A' })).toMatch(/same text/);
  });

  it('finds dataset_info.json entries without a file, and files without an entry', () => {
    const info = { a_train: dataEntry('alpaca', 'train.jsonl', false), a_golden: dataEntry('alpaca', 'golden.jsonl', false) };
    expect(checkDatasetInfo(info, ['train.jsonl', 'golden.jsonl'])).toEqual([]);
    expect(checkDatasetInfo(info, ['train.jsonl', 'preference.jsonl'])).toEqual(['entry a_golden names golden.jsonl, which is not among the files written', 'preference.jsonl is not registered in dataset_info.json']);
  });
});

describe('checkJsonlFile', () => {
  it('refuses a JSON array, blank lines and a missing final newline, naming the lines', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await writeFile(file, '[{"id": "a"}]\n\n{"id": "b", "instruction": "Q", "output": "A", "status": "approved"}');
    await expect(checkJsonlFile(file, canonicalRowCheck, 2, 'the canonical sample rules')).rejects.toThrow(/line 1 is a JSON array.*line 2 is blank.*does not end with a newline/);
  });

  it('reads back multi-byte text across chunk boundaries and returns the sha256', async () => {
    const file = path.join(dir, 'wide.jsonl');
    const row = { id: 'x', instruction: 'Frage über Übergänge — ✓ '.repeat(3000), output: '答え'.repeat(5000), status: 'approved' };
    const text = Array.from({ length: 30 }, () => JSON.stringify(row)).join('\n') + '\n';
    await writeFile(file, text);
    const checked = await checkJsonlFile(file, canonicalRowCheck, 30, 'the canonical sample rules');
    expect(checked.rows).toBe(30);
    expect(checked.bytes).toBe(Buffer.byteLength(text));
  });
});

describe('ExportFileWriter', () => {
  it('leaves no file behind when a written row breaks the rules and the export is abandoned', async () => {
    const writer = await ExportFileWriter.create(path.join(dir, 'train.jsonl'));
    await writer.write({ messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }] });
    await writer.write({ messages: [{ role: 'assistant', content: 'A' }, { role: 'user', content: 'Q' }] });
    await writer.close();
    const error = await checkJsonlFile(writer.temp, openaiRowCheck, writer.rows, "OpenAI's chat fine-tuning rules").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ExportCheckError);
    expect((error as Error).message).toMatch(/^train\.jsonl breaks OpenAI's chat fine-tuning rules: line 2: turn 1 has role "assistant"/);
    await writer.discard();
    expect(await readdir(dir)).toEqual([]);
  });
});
