import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkWrittenFile, canonicalRowCheck } from '../../src/export/validators.js';
import { ExportFileWriter } from '../../src/export/writer.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-writer-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

describe('ExportFileWriter', () => {
  it('writes every row as one line across buffer flushes, rows larger than the buffer included, with the size and sha256 of the bytes', async () => {
    const writer = await ExportFileWriter.create(path.join(dir, 'train.jsonl'), canonicalRowCheck);
    const rows: Record<string, unknown>[] = [];
    for (let index = 0; index < 6000; index++) {
      const size = index % 1000 === 999 ? 700_000 : 300 + (index % 17);
      rows.push({ id: `s${index}`, instruction: `Question ${index}: ${'é日😀'.slice(0, 1 + (index % 3))}`, output: 'x'.repeat(size) + '€', status: 'approved' });
    }
    for (const row of rows) {
      const flushing = writer.write(row);
      if (flushing) await flushing;
    }
    await writer.close();
    const expected = rows.map((row) => JSON.stringify(row) + '\n').join('');
    const bytes = await readFile(writer.temp);
    expect(bytes.toString('utf8')).toBe(expected);
    expect(writer.problems).toEqual([]);
    expect(writer.written).toEqual({ rows: rows.length, bytes: Buffer.byteLength(expected), sha256: createHash('sha256').update(expected).digest('hex') });
    await expect(checkWrittenFile(writer.temp, writer.written, writer.problems, 'the canonical sample rules')).resolves.toEqual(writer.written);
    await writer.discard();
  });

  it('records the rule a row breaks, naming its line', async () => {
    const writer = await ExportFileWriter.create(path.join(dir, 'train.jsonl'), canonicalRowCheck);
    await writer.write({ id: 'a', instruction: 'q', output: 'a', status: 'approved' });
    await writer.write({ id: 'b', instruction: ' ', output: 'a', status: 'approved' });
    await writer.close();
    expect(writer.problems).toEqual(['line 2: instruction is empty or missing']);
    await writer.discard();
  });

  it('fails the export with the write error when a write in flight fails, and still discards the file', async () => {
    const writer = await ExportFileWriter.create(path.join(dir, 'train.jsonl'), canonicalRowCheck);
    // Closing the file underneath makes the next write to disk fail (EBADF), as a disk error would.
    await (writer as unknown as { handle: { close(): Promise<void> } }).handle.close();
    const row = { id: 'a', instruction: 'q', output: 'x'.repeat(5000), status: 'approved' };
    const attempt = async () => {
      for (let index = 0; index < 2000; index++) {
        const flushing = writer.write(row);
        if (flushing) await flushing;
      }
      await writer.close();
    };
    await expect(attempt()).rejects.toMatchObject({ code: 'export_write_failed', message: expect.stringMatching(/Could not write .*train\.jsonl/) });
    await writer.discard();
    await expect(readFile(writer.temp)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
