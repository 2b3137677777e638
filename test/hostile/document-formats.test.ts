/**
 * Hostile PDF, DOCX, EPUB and HTML files: each is refused with an error that names the file and
 * what to do, nothing is written (no run, nothing outside DISTILLERY_HOME), and no script runs.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import { encryptedPdf, leaseDocx, scannedPdf, tenancyGuidePdf, zipBombDocx } from '../documents/fixtures.js';
import { expectRefused } from './guards.js';

let world: TestWorld;
let app: App;
let client: Client;

/** An EPUB with more entries than the cap allows, each tiny. */
function manyEntriesEpub(): Uint8Array {
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = { mimetype: [strToU8('application/epub+zip'), { level: 0 }] };
  for (let i = 0; i < 5_001; i++) files[`OEBPS/p${i}.xhtml`] = strToU8('<p>x</p>');
  return zipSync(files);
}

beforeAll(async () => {
  world = await makeWorld();
  const docs = world.docs;
  const guide = await tenancyGuidePdf();
  const outside = path.join(world.dir, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'private.pdf'), guide);
  await symlink(path.join(outside, 'private.pdf'), path.join(docs, 'linked.pdf'));
  await symlink(outside, path.join(docs, 'linked-folder'));
  await writeFile(path.join(docs, 'encrypted.pdf'), await encryptedPdf());
  await writeFile(path.join(docs, 'scanned.pdf'), await scannedPdf());
  await writeFile(path.join(docs, 'truncated.pdf'), guide.subarray(0, Math.floor(guide.length * 0.6)));
  await writeFile(path.join(docs, 'garbage.pdf'), Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4000, 0x41), Buffer.from('\n%%EOF\n')]));
  await writeFile(path.join(docs, 'bomb.docx'), zipBombDocx());
  await writeFile(path.join(docs, 'crowded.epub'), manyEntriesEpub());
  const lease = await leaseDocx();
  await mkdir(path.join(docs, 'mixed'));
  await writeFile(path.join(docs, 'mixed', 'lease.docx'), lease);
  await writeFile(path.join(docs, 'mixed', 'locked.pdf'), await encryptedPdf());
  await mkdir(path.join(docs, 'broken'));
  await writeFile(path.join(docs, 'broken', 'locked.pdf'), await encryptedPdf());
  await writeFile(path.join(docs, 'cut.docx'), lease.subarray(0, Math.floor(lease.length / 2)));
  await writeFile(path.join(docs, 'locked.docx'), Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(2048)]));
  await writeFile(path.join(docs, 'report.pdf'), 'Just a text file that calls itself a PDF.\n');
  await writeFile(path.join(docs, 'archive.docx'), zipSync({ 'photo.jpg': strToU8('not really') }));
  await writeFile(path.join(docs, 'scripts.html'), '<html><head><script>globalThis.ranScript = true</script></head><body><script>globalThis.ranScript = true</script><noscript>enable js</noscript></body></html>');
  // A 2 GB file (sparse: no disk is used) past limits.max_file_mb.
  const huge = await open(path.join(docs, 'huge.pdf'), 'w');
  await huge.truncate(2 * 1024 ** 3);
  await huge.close();
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await client.close();
  await app.close();
  await world.cleanup();
});

describe('distill_file refuses hostile documents, naming the file and the fix', () => {
  const cases: [string, string, RegExp][] = [
    ['an encrypted PDF', 'encrypted.pdf', /encrypted\.pdf is encrypted with a password.*save an unprotected copy/],
    ['a scanned PDF', 'scanned.pdf', /scanned\.pdf: no text layer: run OCR first/],
    ['a truncated PDF', 'truncated.pdf', /truncated\.pdf is a damaged or truncated PDF \(it does not end with %%EOF.*Download or export it again/],
    ['a PDF of garbage', 'garbage.pdf', /garbage\.pdf is a damaged or truncated PDF \(Invalid PDF structure/],
    ['a zip bomb DOCX', 'bomb.docx', /bomb\.docx was not opened: its entry word\/document\.xml would inflate \d+-fold .*zip bomb/],
    ['an EPUB with too many entries', 'crowded.epub', /crowded\.epub was not opened: it holds 5,002 entries \(the limit is 5,000\)/],
    ['a password-protected DOCX', 'locked.docx', /locked\.docx is a password-protected Office document or an old Word \.doc file.*remove the password/],
    ['a truncated DOCX', 'cut.docx', /cut\.docx is a damaged or truncated zip archive.*Save or download it again/],
    ['a text file named .pdf', 'report.pdf', /report\.pdf is named as PDF but is not one.*rename it/],
    ['a zip named .docx that is not Word', 'archive.docx', /archive\.docx is a zip archive but not a DOCX or EPUB document/],
    ['HTML that is only scripts', 'scripts.html', /scripts\.html has no text to distill/],
    ['a 2 GB file past limits.max_file_mb', 'huge.pdf', /huge\.pdf is 2048 MB, over the 50 MB limit.*limits\.max_file_mb/],
    ['a symlink to a PDF outside the roots', 'linked.pdf', /outside the allowed roots/],
    ['a symlinked folder outside the roots', 'linked-folder/', /outside the allowed roots/],
  ];
  it.each(cases)('%s', async (_label, file, message) => {
    await expectRefused(client, world, 'distill_file', { path: file }, message);
  });

  it('ran no script and started no run', async () => {
    expect((globalThis as { ranScript?: boolean }).ranScript).toBeUndefined();
    expect(app.services.catalog.listRuns({})).toHaveLength(0);
    expect(existsSync(path.join(world.home, 'runs')) ? readdirSync(path.join(world.home, 'runs')) : []).toEqual([]);
  });
});

describe('a folder with hostile files', () => {
  it('leaves a file it cannot read out, naming it and why, and reads the rest', async () => {
    const result = await client.callTool({ name: 'distill_file', arguments: { path: 'mixed/', dry_run: true } });
    const text = textOf(result);
    expect(result.isError, text).toBeFalsy();
    expect(text).toContain('Left out: mixed/locked.pdf is encrypted with a password');
    expect((result.structuredContent as { documents: { relative: string }[] }).documents.map((document) => document.relative)).toEqual(['mixed/lease.docx']);
  });

  it('is refused when none of its files can be read', async () => {
    await expectRefused(client, world, 'distill_file', { path: 'broken/' }, /None of the 1 documents in the folder could be read:\nLeft out: broken\/locked\.pdf is encrypted/);
  });
});

describe('list_documents lists hostile files with the reason as a warning', () => {
  it('says which cannot be distilled and why', async () => {
    const result = await client.callTool({ name: 'list_documents', arguments: { limit: 100 } });
    const text = textOf(result);
    expect(result.isError, text).toBeFalsy();
    expect(text).toMatch(/- scanned\.pdf \(\d+ KB\): cannot be distilled\. scanned\.pdf: no text layer: run OCR first/);
    expect(text).toMatch(/- encrypted\.pdf \(\d+ KB\): cannot be distilled\. encrypted\.pdf is encrypted with a password/);
    expect(text).toMatch(/- bomb\.docx \(\d+ KB\): cannot be distilled\. .*zip bomb/);
    const rows = (result.structuredContent as { documents: { relative: string; cost_usd: number | null; warnings: string[] }[] }).documents;
    expect(rows.find((row) => row.relative === 'huge.pdf')).toMatchObject({ cost_usd: null, warnings: [expect.stringMatching(/over the 50 MB limit/)] });
  });
});
