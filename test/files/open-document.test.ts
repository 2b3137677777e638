import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { openDocument, readDocumentBytes, resolveDocument } from '../../src/files/documents.js';

let root: string;
// Over one hashing piece (1 MiB), so the streaming hash is checked across pieces.
const content = Buffer.from(Array.from({ length: 1_200_000 }, (_, i) => (i * 7) % 251));

beforeAll(async () => {
  root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'distillery-open-')));
  await writeFile(path.join(root, 'large.pdf'), content);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('openDocument', () => {
  it('hashes the whole file through the handle and reads any range of it', async () => {
    const document = await openDocument(await resolveDocument('large.pdf', [root]), { maxBytes: 2_000_000 });
    try {
      expect(document.bytes).toBe(content.length);
      expect(document.sha256).toBe(createHash('sha256').update(content).digest('hex'));
      expect(Buffer.from(await document.read(1_048_570, 20)).equals(content.subarray(1_048_570, 1_048_590))).toBe(true);
      // A range running past the end is cut at the end.
      expect((await document.read(content.length - 5, 100)).length).toBe(5);
      await document.checkUnchanged();
    } finally {
      await document.close();
    }
  });

  it('refuses the file once it is written to after it was hashed', async () => {
    await writeFile(path.join(root, 'growing.pdf'), content);
    const document = await openDocument(await resolveDocument('growing.pdf', [root]), { maxBytes: 2_000_000 });
    try {
      await appendFile(path.join(root, 'growing.pdf'), 'more');
      const error = await document.checkUnchanged().then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).message).toContain('growing.pdf changed while it was being read');
    } finally {
      await document.close();
    }
  });

  it('keeps the size limit, and readDocumentBytes gives the same bytes and sha256', async () => {
    const ref = await resolveDocument('large.pdf', [root]);
    await expect(openDocument(ref, { maxBytes: 1_000_000 })).rejects.toThrow(/large.pdf is 1.1 MB, over the 1.0 MB limit/);
    const { raw, sha256 } = await readDocumentBytes(ref, { maxBytes: 2_000_000 });
    expect(raw.equals(content)).toBe(true);
    expect(sha256).toBe(createHash('sha256').update(content).digest('hex'));
  });
});
