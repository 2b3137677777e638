import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { isInsideRoots, listDocuments, readDocument, resolveDocument, type DocumentRef } from '../../src/files/documents.js';

let base: string; // holds the root and a folder outside it
let root: string;
let outside: string;
const secret = 'TOP-SECRET-CONTENT-7f3a';

async function write(relative: string, content: string | Uint8Array): Promise<string> {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

/** Every entry under the base folder with its size and modification time: proof that nothing was written. */
async function snapshot(): Promise<string[]> {
  const lines: string[] = [];
  const visit = async (folder: string): Promise<void> => {
    for (const entry of (await readdir(folder, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      const info = await stat(full).catch(() => undefined);
      lines.push(`${path.relative(base, full)} ${info?.size ?? 'dangling'} ${info?.mtimeMs ?? ''}`);
      if (entry.isDirectory()) await visit(full);
    }
  };
  await visit(base);
  return lines;
}

/** The InputError an attempt rejects with; the folder tree must be unchanged afterwards. */
async function refusal(attempt: () => Promise<unknown>): Promise<InputError> {
  const before = await snapshot();
  const error = await attempt().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(InputError);
  expect(await snapshot()).toEqual(before);
  return error as InputError;
}

async function refFor(relative: string): Promise<DocumentRef> {
  return resolveDocument(relative, [root]);
}

beforeAll(async () => {
  base = await realpath(await mkdtemp(path.join(os.tmpdir(), 'distillery-documents-')));
  root = path.join(base, 'root');
  outside = path.join(base, 'outside');
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), secret);
  await write('guides/install.md', '# Install\n\nRun the installer.\n');
  await write('a/notes.txt', 'first notes');
  await write('b/deeper/notes.txt', 'second notes');
  await write('docs/guide.md', 'The guide.');
  await write('docs/Report.TXT', 'Upper-case extension.');
  await write('paper.pdf', '%PDF-1.4');
  await write('photo.png', 'not a document');
  await write('node_modules/pkg/readme.md', 'should be skipped');
  await write('.hidden/secret-notes.md', 'should be skipped');
  await write('empty.txt', '');
  await write('blank.txt', ' \n\t\n  \n');
  await write('binary.txt', Buffer.from([0x48, 0x69, 0x00, 0x21]));
  await write('latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])); // "café" in Latin-1
  await write('bom.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Hello BOM')]));
  await write('windows.txt', 'line one\r\nline two\r\n');
  await write('big.md', 'x'.repeat(5000));
  await mkdir(path.join(root, 'folder.md'));
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  await symlink(path.join(root, 'docs', 'guide.md'), path.join(root, 'shortcut.md'));
  await symlink('/dev/null', path.join(root, 'null.txt'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('resolveDocument', () => {
  it('finds a bare file name anywhere under the roots', async () => {
    const ref = await resolveDocument('install.md', [root]);
    expect(ref).toEqual({ path: path.join(root, 'guides', 'install.md'), root, relative: path.join('guides', 'install.md'), bytes: 30 });
  });

  it('asks which one when a bare name matches several files, listing their relative paths', async () => {
    const error = await refusal(async () => resolveDocument('notes.txt', [root]));
    expect(error.code).toBe('document_ambiguous');
    expect(error.message).toContain(path.join('a', 'notes.txt'));
    expect(error.message).toContain(path.join('b', 'deeper', 'notes.txt'));
    expect(error.message).toMatch(/Which one/);
  });

  it('says which roots were searched and suggests list_documents when nothing matches', async () => {
    const error = await refusal(async () => resolveDocument('missing.md', [root]));
    expect(error.code).toBe('document_not_found');
    expect(error.message).toContain(root);
    expect(error.message).toContain('list_documents');
  });

  it('does not find files inside node_modules or hidden folders', async () => {
    expect((await refusal(async () => resolveDocument('readme.md', [root]))).code).toBe('document_not_found');
    expect((await refusal(async () => resolveDocument('secret-notes.md', [root]))).code).toBe('document_not_found');
  });

  it('accepts a path relative to a root and an absolute path inside one', async () => {
    expect((await resolveDocument('docs/guide.md', [outside, root])).path).toBe(path.join(root, 'docs', 'guide.md'));
    expect((await resolveDocument(path.join(root, 'docs', 'guide.md'), [root])).relative).toBe(path.join('docs', 'guide.md'));
  });

  it('accepts an upper-case .TXT extension', async () => {
    expect((await resolveDocument('docs/Report.TXT', [root])).bytes).toBe(21);
  });

  it('refuses path traversal as outside the roots without revealing what is there', async () => {
    const error = await refusal(async () => resolveDocument('../outside/secret.txt', [root]));
    expect(error.code).toBe('path_outside_roots');
    expect(error.message).toContain(`resolves to ${path.join(outside, 'secret.txt')}`);
    expect(error.message).toContain('DISTILLERY_ROOTS');
    expect(error.message).not.toContain(secret);
    expect((await refusal(async () => resolveDocument('../../../../../../etc/passwd', [root]))).code).toBe('path_outside_roots');
    expect((await refusal(async () => resolveDocument(path.join(outside, 'secret.txt'), [root]))).code).toBe('path_outside_roots');
  });

  it('refuses a symlink whose target is outside the roots, naming where it resolves', async () => {
    const error = await refusal(async () => resolveDocument('escape.txt', [root]));
    expect(error.code).toBe('path_outside_roots');
    expect(error.message).toContain(`escape.txt resolves to ${path.join(outside, 'secret.txt')}, which is outside the allowed roots (${root})`);
    expect(error.message).not.toContain(secret);
  });

  it('follows a symlink whose target is inside the roots', async () => {
    const ref = await resolveDocument('shortcut.md', [root]);
    expect(ref.path).toBe(path.join(root, 'docs', 'guide.md'));
    expect(ref.relative).toBe(path.join('docs', 'guide.md'));
  });

  it('refuses a folder, even one named like a document', async () => {
    const error = await refusal(async () => resolveDocument(path.join(root, 'folder.md'), [root]));
    expect(error.code).toBe('document_not_file');
    expect(error.message).toContain('folder');
  });

  it('refuses device files: /dev/null is outside the roots, and a device inside a root is not a regular file', async () => {
    expect((await refusal(async () => resolveDocument('/dev/null', [root]))).code).toBe('path_outside_roots');
    expect((await refusal(async () => resolveDocument('null.txt', [root]))).code).toBe('path_outside_roots');
    const device = await refusal(async () => resolveDocument('/dev/null', ['/dev']));
    expect(device.code).toBe('document_not_file');
    expect(device.message).toMatch(/not a regular file/);
  });

  it('refuses a FIFO from its stat, without ever blocking on it', async (context) => {
    const fifo = path.join(root, 'pipe.txt');
    try {
      execFileSync('mkfifo', [fifo]);
    } catch {
      context.skip();
    }
    try {
      const error = await refusal(async () => resolveDocument('pipe.txt', [root]));
      expect(error.code).toBe('document_not_file');
      // A reference made by hand is checked again before anything is opened.
      const forged: DocumentRef = { path: fifo, root, relative: 'pipe.txt', bytes: 10 };
      expect((await refusal(async () => readDocument(forged, { maxBytes: 1_000_000 }))).code).toBe('document_not_file');
    } finally {
      await rm(fifo, { force: true });
    }
  });

  it('refuses other file types such as .png and says to convert them', async () => {
    const error = await refusal(async () => resolveDocument('photo.png', [root]));
    expect(error.code).toBe('document_type');
    expect(error.message).toMatch(/only PDF, DOCX, HTML, EPUB, \.txt and \.md documents/);
  });

  it('refuses when no root exists', async () => {
    expect((await refusal(async () => resolveDocument('guide.md', [path.join(base, 'nope')]))).message).toContain('DISTILLERY_ROOTS');
  });
});

describe('readDocument', () => {
  it('reads a document, with the sha256 of its raw bytes', async () => {
    const document = await readDocument(await refFor('guides/install.md'), { maxBytes: 1_000_000 });
    expect(document.text).toBe('# Install\n\nRun the installer.\n');
    expect(document.bytes).toBe(30);
    expect(document.sha256).toBe(createHash('sha256').update('# Install\n\nRun the installer.\n').digest('hex'));
  });

  it('strips a UTF-8 byte order mark and turns CRLF into LF', async () => {
    expect((await readDocument(await refFor('bom.txt'), { maxBytes: 1000 })).text).toBe('Hello BOM');
    const windows = await readDocument(await refFor('windows.txt'), { maxBytes: 1000 });
    expect(windows.text).toBe('line one\nline two\n');
    expect(windows.bytes).toBe(20);
  });

  it('refuses an empty file', async () => {
    const error = await refusal(async () => readDocument(await refFor('empty.txt'), { maxBytes: 1000 }));
    expect(error.code).toBe('document_empty');
    expect(error.message).toContain('empty');
  });

  it('refuses a file of only whitespace as empty', async () => {
    expect((await refusal(async () => readDocument(await refFor('blank.txt'), { maxBytes: 1000 }))).code).toBe('document_empty');
  });

  it('refuses a file with NUL bytes as binary', async () => {
    const error = await refusal(async () => readDocument(await refFor('binary.txt'), { maxBytes: 1000 }));
    expect(error.code).toBe('document_binary');
    expect(error.message).toMatch(/binary/);
  });

  it('refuses invalid UTF-8 and says to convert it', async () => {
    const error = await refusal(async () => readDocument(await refFor('latin1.txt'), { maxBytes: 1000 }));
    expect(error.code).toBe('document_encoding');
    expect(error.message).toMatch(/Convert it to UTF-8/);
  });

  it('refuses a file over the size limit, giving both sizes and the setting to change', async () => {
    const error = await refusal(async () => readDocument(await refFor('big.md'), { maxBytes: 1024 }));
    expect(error.code).toBe('document_too_large');
    expect(error.message).toContain('0.005 MB');
    expect(error.message).toContain('0.001 MB');
    expect(error.message).toContain('limits.max_file_mb');
  });

  it('refuses a reference whose file was swapped for a symlink out of the roots', async () => {
    const ref = await refFor('docs/guide.md');
    const forged: DocumentRef = { ...ref, path: path.join(root, 'escape.txt') };
    const error = await refusal(async () => readDocument(forged, { maxBytes: 1000 }));
    expect(error.message).not.toContain(secret);
  });
});

describe('listDocuments', () => {
  it('lists documents sorted by relative path, skipping node_modules, hidden folders and other types', async () => {
    const { documents, truncated } = await listDocuments([root]);
    const names = documents.map((document) => document.relative);
    expect(truncated).toBe(false);
    expect(names).toEqual([...names].sort());
    expect(names).toContain(path.join('docs', 'guide.md'));
    expect(names).toContain(path.join('docs', 'Report.TXT'));
    expect(names).toContain(path.join('b', 'deeper', 'notes.txt'));
    expect(names.some((name) => name.includes('node_modules') || name.includes('.hidden') || name.endsWith('.png'))).toBe(false);
    expect(names).toContain('paper.pdf');
    // The symlink out of the roots and the device are left out; the symlink inside shows as its target, once.
    expect(names).not.toContain('escape.txt');
    expect(names).not.toContain('null.txt');
    expect(names.filter((name) => name === path.join('docs', 'guide.md'))).toHaveLength(1);
  });

  it('stops at the limit and says the list is truncated', async () => {
    const { documents, truncated } = await listDocuments([root], { limit: 2 });
    expect(documents).toHaveLength(2);
    expect(truncated).toBe(true);
  });
});

describe('isInsideRoots', () => {
  it('accepts paths under a root and refuses siblings that only share a prefix', () => {
    expect(isInsideRoots('/data/root/a/b.txt', ['/other', '/data/root'])).toBe('/data/root');
    expect(isInsideRoots('/data/root/..notes.txt', ['/data/root'])).toBe('/data/root');
    expect(isInsideRoots('/data/root2/b.txt', ['/data/root'])).toBeUndefined();
    expect(isInsideRoots('/data/b.txt', ['/data/root'])).toBeUndefined();
  });
});
