/**
 * Append-only JSONL files (run samples, the call journal, the ledger) and atomic whole-file writes.
 * Appends are group-committed: every append made in one turn of the event loop (say, for all the
 * answers that arrived together) goes out in one write, just after that turn's I/O. The write is
 * synchronous: an append to the page cache costs microseconds, less than the promise and thread-pool
 * round trip of an async write, and it is in the file before the append resolves.
 */
import { closeSync, createReadStream, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { DistilleryError, errorMessage } from '../errors.js';

/** Above this many pending bytes a flush is split, so one huge burst does not build one huge buffer. */
const maxBatchBytes = 4 * 1024 * 1024;

function writeFailed(file: string, error: unknown): DistilleryError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint =
    code === 'ENOSPC' ? 'Free some disk space' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'Make it writable' : 'Fix the cause';
  return new DistilleryError('store_write_failed', `Could not write ${file}: ${errorMessage(error)}. ${hint}, then resume.`);
}

interface Pending {
  text: string;
  resolve: () => void;
  reject: (error: Error) => void;
  /** Queued by write(): no one awaits it, so its failure is kept for the next call. */
  detached?: boolean;
}

export class JsonlAppender {
  #fd: number;
  #size: number;
  #pending: Pending[] = [];
  #scheduled = false;
  #closed = false;
  /** The first failed write of a record queued by write(), which nobody awaited: thrown by the next write, append or close. */
  #failure: Error | undefined;

  private constructor(
    readonly file: string,
    fd: number,
    size: number,
  ) {
    this.#fd = fd;
    this.#size = size;
  }

  static async open(file: string): Promise<JsonlAppender> {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await repairTornLine(file);
      const fd = openSync(file, 'a');
      return new JsonlAppender(file, fd, fstatSync(fd).size);
    } catch (error) {
      throw error instanceof DistilleryError ? error : writeFailed(file, error);
    }
  }

  append(record: unknown): Promise<void> {
    return this.appendMany([record]);
  }

  /**
   * Queues a record without waiting for the write, for files rebuilt from the call journal: records
   * queued in one turn share one write. A failed write is thrown by the next write, append or close.
   */
  write(record: unknown): void {
    if (this.#failure) throw this.#failure;
    this.#enqueue(serialise(record, this.file) + '\n', true).catch(() => undefined);
  }

  appendMany(records: unknown[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    let text = '';
    try {
      for (const record of records) text += serialise(record, this.file) + '\n';
    } catch (error) {
      return Promise.reject(error);
    }
    return text === '' ? Promise.resolve() : this.#enqueue(text, false);
  }

  #enqueue(text: string, detached: boolean): Promise<void> {
    if (this.#closed) return Promise.reject(new DistilleryError('store_closed', `${this.file} is closed; reopen it to append.`));
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ text, resolve, reject, detached });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => this.#drain());
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#drain();
    closeSync(this.#fd);
    if (this.#failure) throw this.#failure;
  }

  #drain(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      let bytes = 0;
      let taken = 0;
      while (taken < this.#pending.length && (taken === 0 || bytes < maxBatchBytes)) {
        bytes += this.#pending[taken]!.text.length;
        taken++;
      }
      const batch = this.#pending.splice(0, taken);
      try {
        this.#writeAll(Buffer.from(taken === 1 ? batch[0]!.text : batch.map((item) => item.text).join(''), 'utf8'));
        for (const item of batch) item.resolve();
      } catch (error) {
        const failure = writeFailed(this.file, error);
        if (batch.some((item) => item.detached)) this.#failure ??= failure;
        for (const item of batch) item.reject(failure);
      }
    }
  }

  #writeAll(buffer: Buffer): void {
    let offset = 0;
    try {
      while (offset < buffer.length) offset += writeSync(this.#fd, buffer, offset, buffer.length - offset);
      this.#size += buffer.length;
    } catch (error) {
      // Cut a partly written batch back off, so later appends do not glue onto a torn line.
      if (offset > 0) {
        try {
          ftruncateSync(this.#fd, this.#size);
        } catch {
          // The file stays torn; repairTornLine cuts it at the next open.
        }
      }
      throw error;
    }
  }
}

/** JSON text of a record; `file` names where it was going when it cannot be written. */
function serialise(record: unknown, file?: string, indent?: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(record, null, indent);
    if (text === undefined) throw new Error(`a ${typeof record} cannot be written as JSON`);
  } catch (error) {
    if (file === undefined) throw error;
    throw new DistilleryError('store_bad_record', `Cannot append to ${file}: ${errorMessage(error)}.`);
  }
  return text;
}

/** A crash mid-append leaves a last line without '\n': keep it if it parses, otherwise cut it off. */
async function repairTornLine(file: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size === 0) return;
    const tailStart = await lastNewlineEnd(handle, info.size);
    if (tailStart === info.size) return;
    const tail = Buffer.alloc(info.size - tailStart);
    await handle.read(tail, 0, tail.length, tailStart);
    if (parses(tail.toString('utf8'))) await handle.write('\n', info.size);
    else await handle.truncate(tailStart);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Offset just after the last '\n' in the file (0 if there is none), read backwards in chunks. */
async function lastNewlineEnd(handle: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await handle.read(chunk, 0, end - start, start);
    const index = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (index >= 0) return start + index + 1;
    end = start;
  }
  return 0;
}

function parses(text: string): boolean {
  if (text.trim() === '') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export async function* readJsonl<T = unknown>(file: string): AsyncGenerator<T> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  let rest = '';
  let lineNumber = 0;
  const parseLine = (line: string): T => {
    try {
      return JSON.parse(line) as T;
    } catch (error) {
      throw new DistilleryError(
        'store_corrupt_line',
        `${file} line ${lineNumber} is not valid JSON (${errorMessage(error)}). Fix or delete that line; the other lines are intact.`,
      );
    }
  };
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      rest += chunk;
      let start = 0;
      let newline: number;
      while ((newline = rest.indexOf('\n', start)) >= 0) {
        const line = rest.slice(start, newline);
        start = newline + 1;
        lineNumber++;
        if (line.trim() !== '') yield parseLine(line);
      }
      rest = rest.slice(start);
    }
  } finally {
    stream.destroy();
  }
  lineNumber++;
  // A last line without '\n' that does not parse is an append cut short by a crash: skip it.
  if (parses(rest)) yield JSON.parse(rest) as T;
}

export async function readJsonlArray<T>(file: string): Promise<T[]> {
  const records: T[] = [];
  try {
    for await (const record of readJsonl<T>(file)) records.push(record);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return records;
}

/** Temp file in the same directory, fsync, rename over the target, fsync the directory. */
async function writeAtomic(file: string, write: (handle: FileHandle) => Promise<void>): Promise<void> {
  const directory = path.dirname(file);
  const temp = path.join(directory, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    await mkdir(directory, { recursive: true });
    const handle = await open(temp, 'w');
    try {
      await write(handle);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncDirectory(directory);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error instanceof DistilleryError ? error : writeFailed(file, error);
  }
}

async function syncDirectory(directory: string): Promise<void> {
  // Makes the rename itself durable; some platforms cannot open a directory, which is fine.
  const handle = await open(directory, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

export async function writeJsonlAtomic(file: string, records: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  let count = 0;
  await writeAtomic(file, async (handle) => {
    let buffer = '';
    for await (const record of records) {
      buffer += serialise(record) + '\n';
      count++;
      if (buffer.length >= 1024 * 1024) {
        await handle.writeFile(buffer, 'utf8');
        buffer = '';
      }
    }
    if (buffer !== '') await handle.writeFile(buffer, 'utf8');
  });
  return count;
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeAtomic(file, async (handle) => {
    await handle.writeFile(serialise(value, undefined, 2) + '\n', 'utf8');
  });
}
