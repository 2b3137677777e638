/**
 * Document extraction: throughput per format (MB of file per second, extraction and chunking), the
 * peak RSS of a 50 MB PDF (made in a temporary folder at bench time, by another process, so its
 * making does not count), and extraction quality on the test fixtures: headings found, tables kept
 * whole, boilerplate lines left.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMeasured } from './cascade.js';
import { writeFile } from 'node:fs/promises';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { Document, HeadingLevel, Packer, Paragraph } from 'docx';
import { strToU8, zipSync } from 'fflate';
import { extractDocument } from '../src/documents/extract.js';
import { chunkBlocks, defaultChunkOptions } from '../src/pipelines/distill/chunker.js';
import { guideFacts, leaseDocx, noticeHtml, tenancyGuidePdf, termsEpub } from '../test/documents/fixtures.js';

const sentence = 'The landlord must keep the structure and exterior of the dwelling in repair, including drains, gutters and external pipes. ';
const words = ['tenant', 'landlord', 'deposit', 'repair', 'notice', 'rent', 'court', 'agent', 'scheme', 'inventory', 'damp', 'boiler'];

/** A numbered line of varied words, so no two chunks are the same (exact duplicates are dropped). */
function line(n: number): string {
  return `Clause ${n}: the ${words[n % 12]} and the ${words[(n * 7) % 12]} agree on the ${words[(n * 5 + 3) % 12]} within ${n % 90} days.`;
}

/** A PDF of `pages` text pages with a running header and footer, padded to `megabytes` with unreferenced binary streams (as images weigh in real files). */
export async function makeLargePdf(file: string, pages: number, megabytes: number): Promise<void> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let number = 1; number <= pages; number++) {
    const page = doc.addPage([595, 842]);
    page.drawText('Housing Handbook', { x: 50, y: 810, size: 9, font });
    if (number % 20 === 1) page.drawText(`Chapter ${Math.ceil(number / 20)}`, { x: 50, y: 770, size: 18, font });
    for (let row = 0; row < 48; row++) page.drawText(line(number * 48 + row), { x: 50, y: 740 - row * 14, size: 11, font });
    page.drawText(`${number}`, { x: 290, y: 30, size: 9, font });
  }
  const padding = Math.max(0, megabytes * 1_048_576 - (await doc.save({ useObjectStreams: false })).length - 1_000);
  for (let left = padding; left > 0; left -= 1_048_576) doc.context.register(doc.context.stream(randomBytes(Math.min(left, 1_048_576))));
  await writeFile(file, await doc.save({ useObjectStreams: false }));
}

async function largeDocx(paragraphs: number): Promise<Uint8Array> {
  const children = Array.from({ length: paragraphs }, (_, i) => (i % 50 === 0 ? new Paragraph({ text: `Section ${i / 50 + 1}`, heading: HeadingLevel.HEADING_2 }) : new Paragraph(`${line(i)} ${sentence}`)));
  return new Uint8Array(await Packer.toBuffer(new Document({ sections: [{ children }] })));
}

function largeHtml(sections: number): Uint8Array {
  const body = Array.from({ length: sections }, (_, i) => `<h2>Section ${i + 1}</h2><p>${line(i)} ${sentence}</p><ul><li>${line(i + 1)}</li><li>${line(i + 2)}</li></ul>`).join('');
  return strToU8(`<!doctype html><html><head><title>Handbook</title><script>var x = 1;</script></head><body><nav><a href="/">Home</a></nav><article><h1>Handbook</h1>${body}</article></body></html>`);
}

function largeEpub(chapters: number): Uint8Array {
  const files: Record<string, Uint8Array | [Uint8Array, { level: 0 }]> = {
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8('<container><rootfiles><rootfile full-path="content.opf"/></rootfiles></container>'),
  };
  const items: string[] = [];
  for (let i = 0; i < chapters; i++) {
    files[`c${i}.xhtml`] = strToU8(`<html><body><h1>Chapter ${i + 1}</h1>${Array.from({ length: 40 }, (_, k) => `<p>${line(i * 40 + k)} ${sentence}</p>`).join('')}</body></html>`);
    items.push(`<item id="c${i}" href="c${i}.xhtml" media-type="application/xhtml+xml"/>`);
  }
  files['content.opf'] = strToU8(`<package><manifest>${items.join('')}</manifest><spine>${items.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine></package>`);
  return zipSync(files);
}

/** Extracts and chunks without keeping the chunks. */
async function extractAndChunk(data: Uint8Array, name: string) {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const extraction = extractDocument(data, name);
  let chunks = 0;
  for await (const _chunk of chunkBlocks(extraction.blocks, defaultChunkOptions)) chunks++;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, chunks, words: extraction.report.words };
}

export async function benchThroughput() {
  const inputs: [string, Uint8Array][] = [];
  const folder = mkdtempSync(path.join(os.tmpdir(), 'distillery-bench-'));
  try {
    await makeLargePdf(path.join(folder, 'handbook.pdf'), 400, 0);
    inputs.push(['handbook.pdf', readFileSync(path.join(folder, 'handbook.pdf'))]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  inputs.push(['handbook.docx', await largeDocx(20000)]);
  inputs.push(['handbook.html', largeHtml(10000)]);
  inputs.push(['handbook.epub', largeEpub(200)]);
  const rows = [];
  for (const [name, data] of inputs) {
    // Read before extraction: pdf.js takes a PDF's buffer over and detaches it.
    const megabytes = data.length / 1_000_000;
    const result = await extractAndChunk(data, name);
    rows.push({ format: name.split('.').pop()!, megabytes, words: result.words, chunks: result.chunks, seconds: result.seconds, cpuSeconds: result.cpuSeconds, mbPerSecond: megabytes / result.seconds, wordsPerSecond: result.words / result.seconds });
  }
  return rows;
}

/**
 * `node dist/cli.js distill --input FILE --dry-run` on each PDF in `folder`, as a user would run it
 * (the built code, no tsx): extraction, chunking and the estimate, with the process's peak RSS.
 */
export async function benchPdfDryRuns(folder: string, names: string[]) {
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
  const results = [];
  for (const name of names) {
    const env = { PATH: process.env.PATH, DISTILLERY_HOME: path.join(folder, `home-${name}`), DISTILLERY_ROOTS: folder };
    const measured = await runMeasured(process.execPath, [cli, 'distill', '--input', name, '--dry-run'], { cwd: folder, env });
    const chunks = Number(/: ([\d,]+) chunks?/.exec(measured.stdout)?.[1]?.replace(/,/g, '') ?? 0);
    const megabytes = statSync(path.join(folder, name)).size / 1_048_576;
    results.push({ name, megabytes, chunks, seconds: measured.seconds, cpuSeconds: measured.cpuSeconds, peakRssMb: measured.peakRssMb });
  }
  return results;
}

/** Headings found, tables whole (one block and one chunk each), and boilerplate lines left in the chunks, per fixture. */
export async function benchQuality() {
  const fixtures: { name: string; data: Uint8Array; headings: string[]; tables: number; boilerplate: RegExp[] }[] = [
    { name: 'tenancy_guide.pdf', data: await tenancyGuidePdf(), headings: guideFacts.headings, tables: 1, boilerplate: [/Tenancy Guide · Housing/, /Page \d of 3/] },
    { name: 'lease.docx', data: await leaseDocx(), headings: ['Residential Lease', 'Rent', 'Charges'], tables: 1, boilerplate: [] },
    { name: 'notice.html', data: strToU8(noticeHtml), headings: ['Notice to Quit', 'What the notice must say'], tables: 1, boilerplate: [/About us/, /Site banner/, /Copyright 2026/, /INJECTED/, /pwned/] },
    { name: 'terms.epub', data: termsEpub(), headings: ['Terms of Occupation', 'Ending the Agreement'], tables: 1, boilerplate: [/^Contents$/m] },
  ];
  const rows = [];
  for (const fixture of fixtures) {
    const extraction = extractDocument(fixture.data, fixture.name);
    const texts: string[] = [];
    for await (const chunk of chunkBlocks(extraction.blocks, { chunkTokens: 300, overlapTokens: 30 })) texts.push(chunk.text);
    const found = fixture.headings.filter((heading) => texts.some((text) => text.includes(`# ${heading}`)));
    const tablesWhole = texts.filter((text) => /^\| --- \|/m.test(text)).length === fixture.tables && extraction.report.tables === fixture.tables;
    const left = texts.flatMap((text) => text.split('\n')).filter((line) => fixture.boilerplate.some((pattern) => pattern.test(line))).length;
    rows.push({ name: fixture.name, headings: `${found.length}/${fixture.headings.length}`, tables: `${tablesWhole ? fixture.tables : 0}/${fixture.tables}`, boilerplateLeft: left, dropped: extraction.report.boilerplateDropped });
  }
  return rows;
}
