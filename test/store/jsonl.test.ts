import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DistilleryError } from '../../src/errors.js';
import { JsonlAppender, readJsonl, readJsonlArray, writeJsonAtomic, writeJsonlAtomic } from '../../src/store/jsonl.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'distillery-jsonl-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('JsonlAppender', () => {
  it('creates parent directories and writes one line per record, in order', async () => {
    const file = path.join(directory, 'a', 'b', 'samples.jsonl');
    const appender = await JsonlAppender.open(file);
    await Promise.all(Array.from({ length: 500 }, (_, index) => appender.append({ index, text: `line\n${index}` })));
    await appender.appendMany([{ index: 500 }, { index: 501 }]);
    await appender.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines).toHaveLength(503);
    expect(lines.at(-1)).toBe('');
    const records = await readJsonlArray<{ index: number; text?: string }>(file);
    expect(records.map((record) => record.index)).toEqual(Array.from({ length: 502 }, (_, index) => index));
    expect(records[7]?.text).toBe('line\n7');
  });

  it('cuts a torn last line off before appending, so the next record starts on a clean line', async () => {
    const file = path.join(directory, 'torn.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}\n{"a":3,"tex');
    const appender = await JsonlAppender.open(file);
    await appender.append({ a: 4 });
    await appender.close();
    expect(await readFile(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":4}\n');
  });

  it('keeps a complete last record that only lacks its newline', async () => {
    const file = path.join(directory, 'no-newline.jsonl');
    await writeFile(file, '{"a":1}\n{"a":2}');
    const appender = await JsonlAppender.open(file);
    await appender.append({ a: 3 });
    await appender.close();
    expect(await readJsonlArray(file)).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('empties a file whose only line is torn', async () => {
    const file = path.join(directory, 'only-torn.jsonl');
    await writeFile(file, '{"a":');
    await (await JsonlAppender.open(file)).close();
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('rejects an append whose write fails, naming the file (ENOSPC from /dev/full)', async (context) => {
    if (!existsSync('/dev/full')) context.skip('/dev/full is not available on this platform');
    const appender = await JsonlAppender.open('/dev/full');
    const error = await appender.append({ a: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DistilleryError);
    expect((error as DistilleryError).code).toBe('store_write_failed');
    expect((error as Error).message).toContain('/dev/full');
    expect((error as Error).message).toContain('ENOSPC');
    await appender.close();
  });

  it('write() queues without waiting; records of one turn share a write, in order with appends', async () => {
    const file = path.join(directory, 'queued.jsonl');
    const appender = await JsonlAppender.open(file);
    for (let index = 0; index < 100; index++) appender.write({ index });
    await appender.append({ index: 100 });
    expect((await readJsonlArray<{ index: number }>(file)).map((record) => record.index)).toEqual(Array.from({ length: 101 }, (_, index) => index));
    await appender.close();
  });

  it('throws the failure of a queued write() at the next write and at close (ENOSPC from /dev/full)', async (context) => {
    if (!existsSync('/dev/full')) context.skip('/dev/full is not available on this platform');
    const appender = await JsonlAppender.open('/dev/full');
    appender.write({ a: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(() => appender.write({ a: 2 })).toThrow(/Could not write \/dev\/full: .*ENOSPC/);
    await expect(appender.append({ a: 3 })).rejects.toMatchObject({ code: 'store_write_failed' });
    await expect(appender.close()).rejects.toMatchObject({ code: 'store_write_failed' });
  });

  it('write() refuses a record that cannot be serialised at once, naming the file', async () => {
    const appender = await JsonlAppender.open(path.join(directory, 'bad.jsonl'));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => appender.write(circular)).toThrow(/Cannot append to .*bad\.jsonl/);
    await appender.close();
  });

  it('fails to open under a parent that is a file, naming the file', async () => {
    await writeFile(path.join(directory, 'parent'), 'not a directory');
    const file = path.join(directory, 'parent', 'child.jsonl');
    await expect(JsonlAppender.open(file)).rejects.toThrow(file);
  });

  it('refuses to open in a read-only directory (skipped as root, where permissions do not stop writes)', async (context) => {
    if (process.getuid?.() === 0) context.skip('running as root: chmod 0o500 does not stop root from writing');
    const readOnly = path.join(directory, 'read-only');
    await mkdir(readOnly);
    await chmod(readOnly, 0o500);
    await expect(JsonlAppender.open(path.join(readOnly, 'x.jsonl'))).rejects.toThrow(/EACCES/);
    await chmod(readOnly, 0o700);
  });

  it('rejects a record that cannot be serialised and keeps the file clean', async () => {
    const file = path.join(directory, 'bad.jsonl');
    const appender = await JsonlAppender.open(file);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(appender.append(circular)).rejects.toThrow(file);
    await appender.append({ ok: true });
    await appender.close();
    expect(await readJsonlArray(file)).toEqual([{ ok: true }]);
    await expect(appender.append({ late: true })).rejects.toThrow(/closed/);
    // A queued write() after close is refused at once, not dropped without a word.
    expect(() => appender.write({ late: true })).toThrow(/closed; reopen it/);
    expect(await readJsonlArray(file)).toEqual([{ ok: true }]);
  });
});

describe('readJsonl', () => {
  it('skips a torn last line but throws on a bad line elsewhere, naming file and line', async () => {
    const torn = path.join(directory, 'torn.jsonl');
    await writeFile(torn, '{"a":1}\n\n{"a":2}\n{"a":');
    expect(await readJsonlArray(torn)).toEqual([{ a: 1 }, { a: 2 }]);

    const broken = path.join(directory, 'broken.jsonl');
    await writeFile(broken, '{"a":1}\n{"a":\n{"a":3}\n');
    await expect(readJsonlArray(broken)).rejects.toThrow(`${broken} line 2 is not valid JSON`);
  });

  it('returns [] for a missing file from readJsonlArray, and streams large files record by record', async () => {
    expect(await readJsonlArray(path.join(directory, 'missing.jsonl'))).toEqual([]);
    const file = path.join(directory, 'big.jsonl');
    const text = 'é'.repeat(3000); // multi-byte characters straddle stream chunk boundaries
    await appendFile(file, Array.from({ length: 2000 }, (_, index) => JSON.stringify({ index, text }) + '\n').join(''));
    let count = 0;
    for await (const record of readJsonl<{ index: number; text: string }>(file)) {
      expect(record.index).toBe(count);
      expect(record.text).toBe(text);
      count++;
    }
    expect(count).toBe(2000);
  });
});

describe('atomic writes', () => {
  it('writeJsonlAtomic streams an async iterable, replaces the file and leaves no temp file', async () => {
    const file = path.join(directory, 'out', 'train.jsonl');
    await writeJsonlAtomic(file, [{ old: true }]);
    async function* records() {
      for (let index = 0; index < 1000; index++) yield { index };
    }
    expect(await writeJsonlAtomic(file, records())).toBe(1000);
    const written = await readJsonlArray<{ index: number }>(file);
    expect(written).toHaveLength(1000);
    expect(written[999]).toEqual({ index: 999 });
    expect(await readdir(path.dirname(file))).toEqual(['train.jsonl']);
  });

  it('keeps the old file when the records fail part way', async () => {
    const file = path.join(directory, 'keep.jsonl');
    await writeJsonlAtomic(file, [{ old: 1 }]);
    function* failing() {
      yield { fresh: 1 };
      throw new Error('source broke');
    }
    await expect(writeJsonlAtomic(file, failing())).rejects.toThrow(/source broke/);
    expect(await readJsonlArray(file)).toEqual([{ old: 1 }]);
    expect(await readdir(directory)).toEqual(['keep.jsonl']);
  });

  it('writeJsonAtomic writes pretty JSON', async () => {
    const file = path.join(directory, 'manifest.json');
    await writeJsonAtomic(file, { a: [1, 2] });
    expect(await readFile(file, 'utf8')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
  });
});
