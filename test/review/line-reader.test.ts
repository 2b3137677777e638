import { open, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readLines, readRecord } from '../../src/review/line-reader.js';
import { readJsonl } from '../../src/store/jsonl.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-lines-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const collect = async <T>(source: AsyncIterable<T>) => {
  const items: T[] = [];
  for await (const item of source) items.push(item);
  return items;
};

describe('line reader', () => {
  it('gives byte offsets that read each record back, across chunk boundaries and multi-byte text', async () => {
    const file = path.join(dir, 'samples.jsonl');
    const records = Array.from({ length: 400 }, (_, index) => ({ id: `s${index}`, text: `Übung ${index} — ✓ `.repeat(200 + (index % 7)) }));
    await writeFile(file, records.map((record) => JSON.stringify(record) + '\n').join(''));
    const lines = await collect(readLines(file));
    expect(lines).toHaveLength(400);
    const handle = await open(file, 'r');
    for (const index of [0, 57, 211, 399]) expect(await readRecord(handle, lines[index]!.offset, lines[index]!.length)).toEqual(records[index]);
    await handle.close();
    // Resuming from an offset gives the rest.
    expect((await collect(readLines(file, lines[300]!.offset))).map((line) => JSON.parse(line.text).id)).toEqual(records.slice(300).map((record) => record.id));
  });

  it('leaves a half-written last line for later, keeps a complete one without newline in a finished file, and names a corrupt line', async () => {
    const file = path.join(dir, 'growing.jsonl');
    await writeFile(file, '{"id":"a"}\n{"id":"b"}\n{"id":"c"');
    expect((await collect(readLines(file))).map((line) => line.text)).toEqual(['{"id":"a"}', '{"id":"b"}']);
    expect(await collect(readJsonl(file))).toEqual([{ id: 'a' }, { id: 'b' }]);
    await writeFile(file, '{"id":"a"}\n{"id":"b"}');
    expect(await collect(readJsonl(file))).toEqual([{ id: 'a' }, { id: 'b' }]);
    await writeFile(file, '{"id":"a"}\nnot json\n{"id":"b"}\n');
    await expect(collect(readJsonl(file))).rejects.toThrow(/line 2 is not valid JSON/);
    expect(await collect(readJsonl(path.join(dir, 'missing.jsonl')))).toEqual([]);
  });
});
