/**
 * Safe document input: finds documents (PDF, DOCX, HTML, EPUB, text) inside the allowed roots and reads them after
 * checking them. Paths are compared after fs.realpath (symlinks followed), special files are refused
 * from stat before anything is opened, and nothing here ever writes.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import type { Dirent, Stats } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

export interface DocumentRef {
  /** Absolute real path (symlinks resolved). */
  path: string;
  /** The real path of the allowed root that holds it. */
  root: string;
  /** Path relative to its root. */
  relative: string;
  bytes: number;
  /** Set when the path names a folder (resolveDocument with folders: true). */
  folder?: boolean;
}

/** Names a document may have; what it is, is decided from its content (src/documents/detect.ts). */
export const documentExtensions: readonly string[] = ['.pdf', '.docx', '.epub', '.html', '.htm', '.xhtml', '.md', '.markdown', '.txt'];
const allowedExtensions = new Set(documentExtensions);
const formatsText = 'PDF, DOCX, HTML, EPUB, .txt and .md';
const maxVisitedEntries = 20_000;
const ambiguousListed = 10;
const skippedFolders = new Set(['node_modules', '.git']);

/** The root that holds `realPath`, if any. Both must already be real paths (fs.realpath). */
export function isInsideRoots(realPath: string, roots: string[]): string | undefined {
  for (const root of roots) {
    const relative = path.relative(root, realPath);
    if (relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))) return root;
  }
  return undefined;
}

/** Finds a document from what a person typed: an absolute path, a path relative to a root, or a bare file name. */
export async function resolveDocument(nameOrPath: string, roots: string[], options: { folders?: boolean } = {}): Promise<DocumentRef> {
  const typed = nameOrPath.trim();
  if (typed.length === 0 || typed.includes('\0')) {
    throw new InputError('The document name is empty or not a valid path. Give a file name such as guide.md, or call list_documents to see what is available.');
  }
  const realRoots = await resolveRoots(roots);
  const folders = options.folders ?? false;
  if (path.isAbsolute(typed)) return checkCandidate(typed, typed, roots, realRoots, folders);
  if (typed.includes('/') || typed.includes(path.sep) || typed.startsWith('.')) return resolveRelative(typed, roots, realRoots, folders);
  try {
    return await resolveBareName(typed, roots, realRoots);
  } catch (error) {
    // "contracts" with no file of that name may be a folder in a root.
    if (folders && error instanceof InputError && error.code === 'document_not_found') return resolveRelative(`./${typed}`, roots, realRoots, folders);
    throw error;
  }
}

/** Lists the .txt and .md files inside the roots (same walk and bounds), sorted by relative path. */
export async function listDocuments(roots: string[], options: { limit?: number; under?: DocumentRef } = {}): Promise<{ documents: DocumentRef[]; truncated: boolean }> {
  const limit = options.limit ?? 1000;
  const realRoots = await resolveRoots(roots);
  // A folder found by resolveDocument: its documents, each relative to the root that holds it.
  const walk = await walkRoots(options.under ? [options.under.path] : realRoots, (name) => allowedExtensions.has(path.extname(name).toLowerCase()));
  const byPath = new Map<string, DocumentRef>();
  for (const found of walk.files) {
    const ref = await describeIfReadable(found, realRoots);
    if (ref && !byPath.has(ref.path)) byPath.set(ref.path, ref);
  }
  const documents = [...byPath.values()].sort(byRelativePath);
  return { documents: documents.slice(0, limit), truncated: walk.truncated || documents.length > limit };
}

/** A checked, open document: its size and sha256 (hashed through the handle, a piece at a time), and reads of any range of it. */
export interface CheckedDocument {
  bytes: number;
  sha256: string;
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Refuses the file if it was written to since it was hashed (size, mtime or ctime moved), so what was read is what was hashed. */
  checkUnchanged(): Promise<void>;
  close(): Promise<void>;
}

/** Reads a document's bytes after checking it again: a regular, non-empty file of at most maxBytes, still inside its root. */
export async function readDocumentBytes(ref: DocumentRef, options: { maxBytes: number }): Promise<{ raw: Buffer; sha256: string }> {
  const document = await openDocument(ref, options);
  try {
    const raw = Buffer.from(await document.read(0, document.bytes));
    await document.checkUnchanged();
    return { raw, sha256: document.sha256 };
  } finally {
    await document.close();
  }
}

/** Opens a document after checking it again (as readDocumentBytes), without reading it whole: close it when done. */
export async function openDocument(ref: DocumentRef, options: { maxBytes: number }): Promise<CheckedDocument> {
  const name = ref.relative || ref.path;
  const real = await realpathOrRefuse(ref.path, name);
  if (real !== ref.path || isInsideRoots(real, [ref.root]) === undefined) {
    throw new InputError(`${name} changed since it was found (it now resolves to ${real}). Look it up again with list_documents.`);
  }
  const before = await statOrRefuse(real, name);
  refuseUnreadable(before, name);
  refuseSize(before.size, options.maxBytes, name);
  return openChecked(real, before, options.maxBytes, name);
}

/** Reads a document after checking it again: a regular, non-empty UTF-8 text file of at most maxBytes. */
export async function readDocument(ref: DocumentRef, options: { maxBytes: number }): Promise<{ text: string; bytes: number; sha256: string }> {
  const name = ref.relative || ref.path;
  const { raw, sha256 } = await readDocumentBytes(ref, options);
  if (raw.indexOf(0) !== -1) {
    throw new InputError(`${name} contains NUL bytes, so it looks binary, not text. Only plain-text .txt and .md files can be distilled; export it as plain text first.`, 'document_binary');
  }
  let text: string;
  try {
    // fatal: invalid UTF-8 is refused, never silently replaced; the decoder also drops a leading BOM.
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InputError(`${name} is not valid UTF-8 text. Convert it to UTF-8 (for example: iconv -f WINDOWS-1252 -t UTF-8 in.txt > out.txt) and try again.`, 'document_encoding');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.indexOf('\r') !== -1) text = text.replace(/\r\n?/g, '\n');
  if (text.trim().length === 0) {
    throw new InputError(`${name} contains only whitespace, so there is nothing to distill. Add text to it or pick another document.`, 'document_empty');
  }
  return { text, bytes: raw.length, sha256 };
}

// ---------------------------------------------------------------------------------------------

/** Opens without following links or blocking, and only if it is still the file that was checked. */
async function openChecked(real: string, before: Stats, maxBytes: number, name: string): Promise<CheckedDocument> {
  let handle: FileHandle;
  try {
    handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    throw new InputError(`${name} could not be opened (${errorCode(error)}). Check that it still exists and is readable, then try again.`);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.ino !== before.ino || opened.dev !== before.dev) {
      throw new InputError(`${name} changed while it was being opened. Look it up again with list_documents.`);
    }
    refuseSize(opened.size, maxBytes, name);
    const sha256 = await hashWhole(handle, opened.size, name);
    return checkedDocument(handle, opened, sha256, name);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

const hashPiece = 1_048_576;

async function hashWhole(handle: FileHandle, size: number, name: string): Promise<string> {
  const hash = createHash('sha256');
  const piece = Buffer.allocUnsafe(hashPiece);
  let offset = 0;
  for (;;) {
    const { bytesRead } = await handle.read(piece, 0, hashPiece, offset);
    if (bytesRead === 0) break;
    hash.update(piece.subarray(0, bytesRead));
    offset += bytesRead;
  }
  if (offset !== size) throw changedWhileRead(name);
  return hash.digest('hex');
}

function checkedDocument(handle: FileHandle, opened: Stats, sha256: string, name: string): CheckedDocument {
  return {
    bytes: opened.size,
    sha256,
    async read(offset, length) {
      const data = Buffer.alloc(Math.max(0, Math.min(length, opened.size - offset)));
      let done = 0;
      while (done < data.length) {
        const { bytesRead } = await handle.read(data, done, data.length - done, offset + done);
        if (bytesRead === 0) throw changedWhileRead(name);
        done += bytesRead;
      }
      return data;
    },
    async checkUnchanged() {
      const now = await handle.stat();
      if (now.size !== opened.size || now.mtimeMs !== opened.mtimeMs || now.ctimeMs !== opened.ctimeMs) throw changedWhileRead(name);
    },
    close: () => handle.close(),
  };
}

function changedWhileRead(name: string): InputError {
  return new InputError(`${name} changed while it was being read. Wait until whatever writes it has finished, then try again.`);
}

async function resolveRoots(roots: string[]): Promise<string[]> {
  const real: string[] = [];
  for (const root of roots) {
    try {
      const resolved = await realpath(path.resolve(root));
      if ((await stat(resolved)).isDirectory() && !real.includes(resolved)) real.push(resolved);
    } catch {
      // A missing root is skipped; the error below names them all when none is left.
    }
  }
  if (real.length === 0) {
    throw new InputError(`None of the allowed roots is an existing folder (${describeRoots(roots)}). Set DISTILLERY_ROOTS to folders that exist.`, 'roots_missing');
  }
  return real;
}

async function resolveRelative(typed: string, roots: string[], realRoots: string[], folders = false): Promise<DocumentRef> {
  const found: DocumentRef[] = [];
  let outside: string | undefined;
  for (const root of realRoots) {
    const candidate = path.resolve(root, typed);
    // "../../etc/passwd" is refused from the text alone: nothing outside the roots is even looked at.
    if (isInsideRoots(candidate, [root]) === undefined) {
      outside ??= candidate;
      continue;
    }
    try {
      found.push(await checkCandidate(typed, candidate, roots, realRoots, folders));
    } catch (error) {
      if (!(error instanceof InputError) || error.code !== 'document_not_found') throw error;
    }
  }
  const unique = dedupe(found);
  if (unique.length === 1) return unique[0]!;
  if (unique.length > 1) throw ambiguous(typed, unique);
  if (outside) throw outsideRoots(typed, outside, roots);
  throw notFound(typed, realRoots, false);
}

async function resolveBareName(typed: string, roots: string[], realRoots: string[]): Promise<DocumentRef> {
  let walk = await walkRoots(realRoots, (name) => name === typed);
  // Nothing spelled exactly so: accept a different letter case.
  if (walk.files.length === 0) walk = await walkRoots(realRoots, (name) => name.toLowerCase() === typed.toLowerCase());
  const refs: DocumentRef[] = [];
  let refusal: unknown;
  for (const match of walk.files) {
    try {
      refs.push(await checkCandidate(typed, match, roots, realRoots));
    } catch (error) {
      refusal ??= error; // e.g. a symlink out of the roots: reported only when nothing usable matches
    }
  }
  const unique = dedupe(refs);
  if (unique.length === 1) return unique[0]!;
  if (unique.length > 1) throw ambiguous(typed, unique);
  if (refusal) throw refusal;
  throw notFound(typed, realRoots, walk.truncated);
}

/** Inside a root (as typed, then as real path), a regular file, an allowed extension: all before any open. */
async function checkCandidate(typed: string, candidate: string, roots: string[], realRoots: string[], folders = false): Promise<DocumentRef> {
  const absolute = path.resolve(candidate);
  if (isInsideRoots(absolute, realRoots) === undefined && isInsideRoots(absolute, roots.map((root) => path.resolve(root))) === undefined) {
    throw outsideRoots(typed, absolute, roots);
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    if (isMissing(error)) throw notFound(typed, realRoots, false);
    throw new InputError(`${typed} cannot be resolved (${errorCode(error)}). Check the path and its permissions.`);
  }
  const root = isInsideRoots(real, realRoots);
  if (root === undefined) throw outsideRoots(typed, real, roots);
  const stats = await statOrRefuse(real, typed);
  if (folders && stats.isDirectory()) return { path: real, root, relative: path.relative(root, real), bytes: 0, folder: true };
  refuseUnreadable(stats, typed, real);
  return { path: real, root, relative: path.relative(root, real), bytes: stats.size };
}

async function describeIfReadable(candidate: string, realRoots: string[]): Promise<DocumentRef | undefined> {
  try {
    const real = await realpath(candidate);
    const root = isInsideRoots(real, realRoots);
    if (root === undefined || !allowedExtensions.has(path.extname(real).toLowerCase())) return undefined;
    const stats = await stat(real);
    return stats.isFile() ? { path: real, root, relative: path.relative(root, real), bytes: stats.size } : undefined;
  } catch {
    return undefined;
  }
}

function refuseUnreadable(stats: Stats, name: string, real = name): void {
  if (stats.isDirectory()) {
    throw new InputError(`${name} is a folder, not a file. Name a document inside it (list_documents shows them).`, 'document_not_file');
  }
  if (!stats.isFile()) {
    throw new InputError(`${name} is not a regular file (it is a device, pipe or socket), so it is not read. Only ${formatsText} files can be distilled.`, 'document_not_file');
  }
  const extension = path.extname(real).toLowerCase();
  if (!allowedExtensions.has(extension)) {
    throw new InputError(`${name} is ${extension ? `a ${extension} file` : 'a file without an extension'}; only ${formatsText} documents can be distilled. Convert it to one of those first.`, 'document_type');
  }
}

function refuseSize(bytes: number, maxBytes: number, name: string): void {
  if (bytes === 0) throw new InputError(`${name} is empty (0 bytes), so there is nothing to distill. Add text to it or pick another document.`, 'document_empty');
  if (bytes > maxBytes) {
    throw new InputError(
      `${name} is ${megabytes(bytes)} MB, over the ${megabytes(maxBytes)} MB limit. Split it into smaller files, or raise limits.max_file_mb in the config file.`,
      'document_too_large',
    );
  }
}

function megabytes(bytes: number): string {
  const value = bytes / 1_048_576;
  return value >= 10 ? value.toFixed(0) : value >= 0.1 ? value.toFixed(1) : value.toFixed(3);
}

async function realpathOrRefuse(file: string, name: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (error) {
    if (isMissing(error)) throw new InputError(`${name} no longer exists. Look it up again with list_documents.`, 'document_not_found');
    throw new InputError(`${name} cannot be resolved (${errorCode(error)}). Check its permissions.`);
  }
}

async function statOrRefuse(file: string, name: string): Promise<Stats> {
  try {
    return await stat(file);
  } catch (error) {
    if (isMissing(error)) throw new InputError(`${name} no longer exists. Look it up again with list_documents.`, 'document_not_found');
    throw new InputError(`${name} cannot be examined (${errorCode(error)}). Check its permissions.`);
  }
}

function describeRoots(roots: string[]): string {
  return roots.length > 0 ? roots.join(', ') : 'none configured';
}

function outsideRoots(typed: string, real: string, roots: string[]): InputError {
  return new InputError(
    `${typed} resolves to ${real}, which is outside the allowed roots (${describeRoots(roots)}). Move the file into one of them or add its folder to DISTILLERY_ROOTS.`,
    'path_outside_roots',
  );
}

function notFound(typed: string, realRoots: string[], truncated: boolean): InputError {
  const stopped = truncated ? ` The search stopped after ${maxVisitedEntries.toLocaleString('en-US')} entries, so give its path relative to a root instead.` : '';
  return new InputError(`No document named ${typed} was found in ${realRoots.join(', ')}.${stopped} Call list_documents to see the available documents.`, 'document_not_found');
}

function ambiguous(typed: string, refs: DocumentRef[]): InputError {
  const listed = refs.slice(0, ambiguousListed).map((ref) => (refs.some((other) => other !== ref && other.relative === ref.relative) ? path.join(ref.root, ref.relative) : ref.relative));
  const more = refs.length > ambiguousListed ? ` and ${refs.length - ambiguousListed} more` : '';
  return new InputError(`${refs.length} documents match ${typed}: ${listed.join(', ')}${more}. Which one? Give its path relative to its root.`, 'document_ambiguous');
}

function byRelativePath(a: DocumentRef, b: DocumentRef): number {
  return a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : a.root < b.root ? -1 : a.root > b.root ? 1 : 0;
}

function dedupe(refs: DocumentRef[]): DocumentRef[] {
  const byPath = new Map<string, DocumentRef>();
  for (const ref of refs) if (!byPath.has(ref.path)) byPath.set(ref.path, ref);
  return [...byPath.values()].sort(byRelativePath);
}

/**
 * Files whose name passes `wanted`, in name order; skips node_modules, .git and hidden folders, never
 * follows a folder symlink, and stops after maxVisitedEntries entries (truncated).
 */
async function walkRoots(roots: string[], wanted: (name: string) => boolean): Promise<{ files: string[]; truncated: boolean }> {
  const files: string[] = [];
  let visited = 0;
  for (const root of roots) {
    const stack = [root];
    while (stack.length > 0) {
      const folder = stack.pop()!;
      let entries: Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch {
        continue; // an unreadable folder is skipped
      }
      // Reverse order on the stack, so folders are visited in name order.
      entries.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
      for (const entry of entries) {
        if (++visited > maxVisitedEntries) return { files, truncated: true };
        const full = path.join(folder, entry.name);
        if (entry.isDirectory()) {
          if (!skippedFolders.has(entry.name) && !entry.name.startsWith('.')) stack.push(full);
        } else if (wanted(entry.name)) {
          // Files, symlinks, and also pipes or devices: the checks that follow refuse those by name.
          files.push(full);
        }
      }
    }
  }
  return { files, truncated: false };
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function errorCode(error: unknown): string {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'unknown error';
}
