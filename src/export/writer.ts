/**
 * Export files are written to a temporary name beside their target, checked, and only then renamed
 * into place; a failed export removes its temporary files, so no half-written file is ever left.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DistilleryError, errorMessage } from '../errors.js';

const bufferBytes = 1024 * 1024;

export class ExportFileWriter {
  rows = 0;
  // Rows are encoded into one reused buffer: joining them into a long string first costs more than the write.
  private readonly buffer = Buffer.allocUnsafe(bufferBytes);
  private used = 0;
  private handle: FileHandle | undefined;

  private constructor(
    readonly target: string,
    readonly temp: string,
    handle: FileHandle,
  ) {
    this.handle = handle;
  }

  static async create(target: string): Promise<ExportFileWriter> {
    const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      return new ExportFileWriter(target, temp, await open(temp, 'wx'));
    } catch (error) {
      throw failed(target, error);
    }
  }

  get name(): string {
    return path.basename(this.target);
  }

  async write(row: unknown): Promise<void> {
    this.rows++;
    await this.writeText(JSON.stringify(row) + '\n');
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
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.temp).catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const bytes = this.buffer.subarray(0, this.used);
    this.used = 0;
    await this.writeBytes(bytes);
  }

  private async writeBytes(bytes: Buffer): Promise<void> {
    if (!this.handle) return;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += (await this.handle.write(bytes, offset, bytes.length - offset)).bytesWritten;
    } catch (error) {
      throw failed(this.target, error);
    }
  }
}

function failed(file: string, error: unknown): DistilleryError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === 'ENOSPC' ? 'Free some disk space' : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'Make the folder writable or pass another path' : 'Fix the cause';
  return new DistilleryError('export_write_failed', `Could not write ${file}: ${errorMessage(error)}. ${hint}, then export again; nothing was left half-written.`);
}
