/**
 * Append-only JSONL files (run samples, the call journal, the ledger) and atomic whole-file writes.
 * Appends are group-committed: every append made in one turn of the event loop (say, for all the
 * answers that arrived together) goes out in one write, just after that turn's I/O. The write is
 * synchronous: an append to the page cache costs microseconds, less than the promise and thread-pool
 * round trip of an async write, and it is in the file before the append resolves.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
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

const ignore = () => undefined;

function closedError(file: string): DistilleryError {
  return new DistilleryError('store_closed', `${file} is closed; reopen it to append.`);
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

  /** A run's output file started over: its files are rebuilt from the journal on every (re)start. */
  static async fresh(dir: string, name: string): Promise<JsonlAppender> {
    const file = path.join(dir, name);
    await rm(file, { force: true });
    return JsonlAppender.open(file);
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
    if (this.#closed) throw closedError(this.file);
    this.#queue({ text: serialise(record, this.file) + '\n', resolve: ignore, reject: ignore, detached: true });
  }

  appendMany(records: unknown[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    let text = '';
    try {
      for (const record of records) text += serialise(record, this.file) + '\n';
    } catch (error) {
      return Promise.reject(error);
    }
    return text === '' ? Promise.resolve() : this.#enqueue(text);
  }

  #enqueue(text: string): Promise<void> {
    if (this.#closed) return Promise.reject(closedError(this.file));
    return new Promise<void>((resolve, reject) => this.#queue({ text, resolve, reject }));
  }

  #queue(item: Pending): void {
    this.#pending.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#drain());
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

const chunkBytes = 1024 * 1024;

/**
 * A JSONL file's records in batches (one per read of about a megabyte): one await per batch instead
 * of several per record, and the next read under way while a batch is used. Blank lines are skipped;
 * a missing file (or none named) has no records; a last line without '\n' that does not parse is an
 * append cut short (by a crash, or a run still writing) and is left out; any other bad line fails,
 * naming the file and line.
 */
export async function* readJsonlBatches<T = unknown>(file: string | undefined): AsyncGenerator<T[]> {
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

/** A JSONL file's records one by one (see readJsonlBatches). */
export async function* readJsonl<T = unknown>(file: string | undefined): AsyncGenerator<T> {
  for await (const batch of readJsonlBatches<T>(file)) yield* batch;
}

export async function readJsonlArray<T>(file: string): Promise<T[]> {
  const records: T[] = [];
  for await (const batch of readJsonlBatches<T>(file)) for (const record of batch) records.push(record);
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
