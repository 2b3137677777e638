/**
 * A JSONL file's records in batches (one per read of about a megabyte), for the export's hot loop:
 * one await per batch instead of several per record, and the next read under way while a batch is
 * used. Lines are decoded one by one (quicker than one decode per read, then slicing). Same records and
 * errors as readRecords (review/line-reader.ts): blank lines are skipped, a missing file has none,
 * a half-written last line (a run still writing) is not there yet, any other bad line fails.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DistilleryError, errorMessage } from '../errors.js';

const chunkBytes = 1024 * 1024;

export async function* readRecordBatches<T>(file: string | undefined): AsyncGenerator<T[]> {
  if (!file) return;
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  // The next read goes on while this one's lines are parsed and used: two buffers take turns.
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  const readAt = (buffer: Buffer, position: number) =>
    handle.read(buffer, 0, chunkBytes, position).then(
      ({ bytesRead }) => ({ bytesRead }),
      (error: unknown) => ({ bytesRead: 0, error }), // caught at once: raised when its turn comes
    );
  let next = readAt(buffers[0]!, 0);
  try {
    let carry: Buffer | undefined;
    let position = 0;
    let line = 0;
    for (let turn = 0; ; turn++) {
      const read = await next;
      if ('error' in read) throw read.error;
      const chunk = buffers[turn % 2]!;
      const { bytesRead } = read;
      position += bytesRead;
      if (bytesRead > 0) next = readAt(buffers[(turn + 1) % 2]!, position);
      let data: Buffer = chunk.subarray(0, bytesRead);
      if (carry) data = bytesRead > 0 ? Buffer.concat([carry, data]) : carry;
      carry = undefined;
      if (bytesRead === 0) {
        // The last line has no '\n': a finished file written by hand, or one still being written.
        if (data.length > 0) {
          const last = parseLine<T>(data.toString('utf8'), file, line + 1, true);
          if (last !== undefined) yield [last];
        }
        return;
      }
      // Cut after the last '\n' in bytes: a newline byte is never inside a multi-byte character.
      const end = data.lastIndexOf(0x0a) + 1;
      if (end < data.length) carry = Buffer.from(data.subarray(end));
      if (end === 0) continue;
      const records: T[] = [];
      let start = 0;
      for (let newline = data.indexOf(0x0a); newline >= 0 && newline < end; newline = data.indexOf(0x0a, start)) {
        line++;
        const record = parseLine<T>(data.toString('utf8', start, newline), file, line, false);
        if (record !== undefined) records.push(record);
        start = newline + 1;
      }
      if (records.length > 0) yield records;
    }
  } finally {
    await next;
    await handle.close();
  }
}

function parseLine<T>(text: string, file: string, line: number, unterminated: boolean): T | undefined {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    // A run still writing leaves its last line half-written: that line is not there yet.
    if (unterminated) return undefined;
    throw new DistilleryError('store_corrupt_line', `${file} line ${line} is not valid JSON (${errorMessage(error)}). Fix or delete that line; the other lines are intact.`);
  }
}
