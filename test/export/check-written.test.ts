import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWrittenFile } from '../../src/export/validators.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-check-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function written(name: string, lines: string[]) {
  const text = lines.map((line) => `${line}\n`).join('');
  const file = path.join(dir, name);
  await writeFile(file, text);
  return { file, facts: { rows: lines.length, bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') } };
}

describe('checkWrittenFile', () => {
  it('accepts a file that holds exactly the rows written', async () => {
    const { file, facts } = await written('train.jsonl', ['{"instruction":"a","output":"b"}', '{"instruction":"c","output":"d"}']);
    await expect(checkWrittenFile(file, facts, [], 'Alpaca rules')).resolves.toEqual(facts);
  });

  it('fails when a row broke its consumer\'s rules while being written', async () => {
    const { file, facts } = await written('train.jsonl', ['{"instruction":"","output":"b"}']);
    await expect(checkWrittenFile(file, facts, ['line 1: instruction is empty'], 'Alpaca rules')).rejects.toThrowError(/train\.jsonl breaks Alpaca rules: line 1: instruction is empty/);
  });

  it('fails when the file on disk is not what was written', async () => {
    const { file, facts } = await written('train.jsonl', ['{"instruction":"a","output":"b"}']);
    await appendFile(file, '{"instruction":"extra","output":"row"}\n');
    await expect(checkWrittenFile(file, facts, [], 'Alpaca rules')).rejects.toThrowError(/did not read back as written/);
  });
});
