/**
 * Zip archives (DOCX, EPUB) read with caps, so a zip bomb is refused from its directory before
 * anything is inflated: entries, total uncompressed size and compression ratio are all bounded.
 */
import { unzipSync } from 'fflate';
import { InputError } from '../errors.js';

export const zipLimits = Object.freeze({ entries: 5_000, totalBytes: 256 * 1_048_576, ratio: 200, ratioFloorBytes: 1_048_576 });

export interface ZipEntry {
  name: string;
  compressedBytes: number;
  bytes: number;
}

/** The entries of a zip archive, checked against the caps; nothing is inflated. */
export function zipEntries(data: Uint8Array, name: string): ZipEntry[] {
  const entries: ZipEntry[] = [];
  try {
    unzipSync(data, {
      filter(file) {
        entries.push({ name: file.name, compressedBytes: file.size, bytes: file.originalSize });
        return false;
      },
    });
  } catch (error) {
    throw damaged(name, error);
  }
  checkCaps(entries, name);
  return entries;
}

/** Inflates the named entries only (already checked by zipEntries), refusing any that grew past its declared size. */
export function readZipEntries(data: Uint8Array, wanted: (entry: string) => boolean, name: string): Map<string, Uint8Array> {
  const declared = new Map(zipEntries(data, name).map((entry) => [entry.name, entry.bytes]));
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(data, { filter: (file) => wanted(file.name) });
  } catch (error) {
    throw damaged(name, error);
  }
  const result = new Map<string, Uint8Array>();
  for (const [entry, bytes] of Object.entries(files)) {
    if (bytes.length > (declared.get(entry) ?? 0)) throw bomb(name, `its entry ${entry} inflates past the size its directory declares`);
    result.set(entry, bytes);
  }
  return result;
}

function checkCaps(entries: ZipEntry[], name: string): void {
  if (entries.length > zipLimits.entries) throw bomb(name, `it holds ${entries.length.toLocaleString('en-US')} entries (the limit is ${zipLimits.entries.toLocaleString('en-US')})`);
  let total = 0;
  for (const entry of entries) {
    total += entry.bytes;
    if (entry.bytes > zipLimits.ratioFloorBytes && entry.bytes > entry.compressedBytes * zipLimits.ratio) {
      throw bomb(name, `its entry ${entry.name} would inflate ${Math.round(entry.bytes / Math.max(1, entry.compressedBytes))}-fold (the limit is ${zipLimits.ratio}-fold)`);
    }
  }
  if (total > zipLimits.totalBytes) throw bomb(name, `it would inflate to ${Math.round(total / 1_048_576)} MB (the limit is ${zipLimits.totalBytes / 1_048_576} MB)`);
}

function bomb(name: string, why: string): InputError {
  return new InputError(`${name} was not opened: ${why}, so it looks like a zip bomb. Save the document again from its editor, or split it, and try again.`, 'document_zip_bomb');
}

function damaged(name: string, error: unknown): InputError {
  const detail = error instanceof Error ? ` (${error.message})` : '';
  return new InputError(`${name} is a damaged or truncated zip archive${detail}. Save or download it again and try again.`, 'document_corrupt');
}
