import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJsonl, readJsonlBatches } from '../../src/store/jsonl.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-batches-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

async function all(file: string | undefined): Promise<unknown[]> {
  const records: unknown[] = [];
  for await (const batch of readJsonlBatches(file)) records.push(...batch);
  return records;
}

describe('readJsonlBatches', () => {
  it('reads every record, multi-byte text across read boundaries included, in more than one batch', async () => {
    const file = path.join(dir, 'samples.jsonl');
    // About 3 MB of rows whose multi-byte characters fall on every byte offset: some straddle the 1 MB reads.
    const rows = Array.from({ length: 9000 }, (_, index) => ({ id: `s${index}`, text: `${'é'.repeat(index % 7)}${'日本語😀'.repeat(40)}`, index }));
    await writeFile(file, rows.map((row) => JSON.stringify(row)).join('\n') + '\n\n  \n');
    let batches = 0;
    for await (const batch of readJsonlBatches(file)) if (batch.length > 0) batches++;
    expect(batches).toBeGreaterThan(1);
    const oneByOne: unknown[] = [];
    for await (const record of readJsonl(file)) oneByOne.push(record);
    expect(await all(file)).toEqual(rows);
    expect(oneByOne).toEqual(rows);
  });

  it('has nothing for a missing file or none named', async () => {
    expect(await all(path.join(dir, 'missing.jsonl'))).toEqual([]);
    expect(await all(undefined)).toEqual([]);
  });

  it('reads a last line without a newline, and leaves out a half-written one', async () => {
    const file = path.join(dir, 'open.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}');
    expect(await all(file)).toEqual([{ a: 1 }, { a: 2 }]);
    await appendFile(file, '\n{"a":3,"b":"half');
    expect(await all(file)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('fails on a corrupt line in the middle, naming the file and line', async () => {
    const file = path.join(dir, 'corrupt.jsonl');
    await writeFile(file, '{"a":1}\n\n{"a":2\n{"a":3}\n');
    await expect(all(file)).rejects.toMatchObject({ code: 'store_corrupt_line', message: expect.stringMatching(/corrupt\.jsonl line 3 is not valid JSON/) });
  });
});
