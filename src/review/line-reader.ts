/**
 * Byte-exact line access to a JSONL file: stream complete lines with their offsets (to index a file
 * once) and read single records back by offset (to show a page without re-reading the file).
 */
import { open, type FileHandle } from 'node:fs/promises';

export interface RawLine {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Length in bytes, without the '\n'. */
  length: number;
  text: string;
  /** A last line without '\n' (only with `unterminated`). */
  unterminated?: boolean;
}

const chunkBytes = 1024 * 1024;

/**
 * Lines from `start`. A last line without '\n' may still be being written: it is left for later,
 * unless `unterminated` asks for it (a finished file written by hand).
 */
export async function* readLines(file: string, start = 0, options: { unterminated?: boolean } = {}): AsyncGenerator<RawLine> {
  const handle = await open(file, 'r');
  try {
    const chunk = Buffer.allocUnsafe(chunkBytes);
    let carry: Buffer | undefined;
    let carryOffset = start;
    let position = start;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) {
        if (carry && options.unterminated) yield { offset: carryOffset, length: carry.length, text: carry.toString('utf8'), unterminated: true };
        return;
      }
      position += bytesRead;
      let data = chunk.subarray(0, bytesRead);
      let dataOffset = position - bytesRead;
      if (carry) {
        data = Buffer.concat([carry, data]);
        dataOffset = carryOffset;
        carry = undefined;
      }
      let lineStart = 0;
      let newline: number;
      while ((newline = data.indexOf(0x0a, lineStart)) >= 0) {
        if (newline > lineStart) yield { offset: dataOffset + lineStart, length: newline - lineStart, text: data.toString('utf8', lineStart, newline) };
        lineStart = newline + 1;
      }
      if (lineStart < data.length) {
        // Copy: `chunk` is reused by the next read.
        carry = Buffer.from(data.subarray(lineStart));
        carryOffset = dataOffset + lineStart;
      }
    }
  } finally {
    await handle.close();
  }
}

/** Reads one record by its offset and length. */
export async function readRecord(handle: FileHandle, offset: number, length: number): Promise<unknown> {
  const buffer = Buffer.allocUnsafe(length);
  let read = 0;
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, offset + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  if (read < length) return undefined;
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
}
