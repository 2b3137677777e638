/**
 * Export files are written to a temporary name beside their target, checked, and only then renamed
 * into place; a failed export removes its temporary files, so no half-written file is ever left.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { DistilleryError, errorMessage } from '../errors.js';
import type { CheckedFile, RowCheck } from './validators.js';

const bufferBytes = 1024 * 1024;

export class ExportFileWriter {
  rows = 0;
  // Rows are encoded into one reused buffer: joining them into a long string first costs more than the write.
  private buffer: Buffer = Buffer.allocUnsafe(bufferBytes);
  private used = 0;
  // A full buffer goes to disk while rows fill the other one: at most one write is in flight.
  private spare: Buffer | undefined;
  private pending: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  private handle: FileHandle | undefined;
  /** What each row breaks, checked on the very object serialized into the file (at most three). */
  readonly problems: string[] = [];
  // The hash of the bytes as they go to disk: the read-back must find exactly these.
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  private constructor(
    readonly target: string,
    readonly temp: string,
    handle: FileHandle,
    private readonly check?: RowCheck,
  ) {
    this.handle = handle;
  }

  /** With `check`, every row is checked against its consumer's rules as it is serialized. */
  static async create(target: string, check?: RowCheck): Promise<ExportFileWriter> {
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      return new ExportFileWriter(target, temp, await open(temp, 'wx'), check);
    } catch (error) {
      throw failed(target, error);
    }
  }

  get name(): string {
    return path.basename(this.target);
  }

  /** Serialises one row as a line; returns a promise (to await) only when the buffer had to be flushed. */
  write(row: unknown): Promise<void> | undefined {
    this.rows++;
    if (this.check && this.problems.length < 3) {
      const problem = typeof row !== 'object' || row === null || Array.isArray(row) ? `is ${Array.isArray(row) ? 'a JSON array' : 'not a JSON object'}; JSONL needs one object per line` : this.check(row as Record<string, unknown>);
      if (problem) this.problems.push(`line ${this.rows}${problem.startsWith('is ') ? ' ' : ': '}${problem}`);
    }
    const json = JSON.stringify(row);
    // UTF-8 needs at most three bytes per UTF-16 unit, plus the newline.
    if (this.used + json.length * 3 + 1 > bufferBytes) return this.writeText(json + '\n');
    // Encoded straight into the buffer, then the newline byte: no joined copy of the line.
    this.used += this.buffer.write(json, this.used, 'utf8');
    this.buffer[this.used++] = 0x0a;
    return undefined;
  }

  /** Rows, size and sha256 of everything written; only after close. */
  get written(): CheckedFile {
    return { rows: this.rows, bytes: this.bytes, sha256: this.digest ?? '' };
  }

  async writeText(text: string): Promise<void> {
    // UTF-8 needs at most three bytes per UTF-16 unit.
    if (this.used + text.length * 3 > bufferBytes) {
      await this.flush();
      if (text.length * 3 > bufferBytes) return this.writeBytes(Buffer.from(text, 'utf8'));
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  /** Flushes, syncs and closes the temporary file. */
  async close(): Promise<void> {
    if (!this.handle) return;
    await this.flush();
    await this.settle();
    this.digest = this.hash.digest('hex');
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
      this.handle = undefined;
    }
  }

  async commit(): Promise<void> {
    await this.close();
    try {
      await rename(this.temp, this.target);
    } catch (error) {
      throw failed(this.target, error);
    }
  }

  async discard(): Promise<void> {
    await this.pending;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.temp).catch(() => undefined);
  }

  /** Starts writing the filled part of the buffer (after the write before it) and carries on in the other buffer. */
  private async flush(): Promise<void> {
    if (this.used === 0) return;
    await this.settle();
    const full = this.buffer;
    const bytes = full.subarray(0, this.used);
    this.buffer = this.spare ?? Buffer.allocUnsafe(bufferBytes);
    this.used = 0;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    // Caught at once (a rejection nobody awaits yet would be unhandled) and raised by the next settle.
    this.pending = this.writeAll(bytes).then(
      () => void (this.spare = full),
      (error: unknown) => void (this.failure = { error }),
    );
  }

  /** Waits for the write in flight; throws what it failed with. */
  private async settle(): Promise<void> {
    await this.pending;
    this.pending = undefined;
    if (this.failure) throw failed(this.target, this.failure.error);
  }

  private async writeBytes(bytes: Buffer): Promise<void> {
    await this.settle();
    this.hash.update(bytes);
    this.bytes += bytes.length;
    try {
      await this.writeAll(bytes);
    } catch (error) {
      throw failed(this.target, error);
    }
  }

  private async writeAll(bytes: Buffer): Promise<void> {
    if (!this.handle) return;
    let offset = 0;
    while (offset < bytes.length) offset += (await this.handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
  }
}

function failed(file: string, error: unknown): DistilleryError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === 'ENOSPC' ? 'Free some disk space' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'Make the folder writable or pass another path' : 'Fix the cause';
  return new DistilleryError('export_write_failed', `Could not write ${file}: ${errorMessage(error)}. ${hint}, then export again; nothing was left half-written.`);
}
