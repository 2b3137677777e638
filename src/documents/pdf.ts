/**
 * PDF through pdf.js (its legacy build runs on Node 20, with no worker thread and no eval). Pages
 * are read one at a time and released, so memory stays flat: a few pages spread over the file are
 * sampled first to learn the body and heading sizes and the running heads, then every page becomes
 * blocks. A table whose rows continue at the top of the next page is joined into one.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { DocumentBlock, ExtractionReport, RangedDocument } from './model.js';
import { FontScale, layoutPage } from './pdf-layout.js';
import { pageLines, type PdfLine, type TextItem } from './pdf-lines.js';
import { RunningHeads } from './pdf-edges.js';
import { tableRows } from './markdown-table.js';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<PdfJs['getDocument']>['promise']>;

const sampledPages = 12;
/** pdf.js keeps what it parsed for every page read until told to let go: it is told this often. */
const cleanupEvery = 50;
let pdfjs: Promise<PdfJs> | undefined;
// The character maps and standard fonts ship inside pdfjs-dist: read from disk, never fetched.
const assets = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/** A PDF's blocks, from its bytes or read in ranges from a file (then pdf.js holds only the parts it parsed). */
export async function* pdfBlocks(data: Uint8Array | RangedDocument, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  const failure: ReadFailure = {};
  const document = await openPdf(data, name, failure);
  try {
    report.pages = document.numPages;
    const sample = await samplePages(document, name);
    const scale = new FontScale(sample);
    const heads = new RunningHeads(sample);
    let pendingTable: DocumentBlock | undefined;
    let emptyPages = 0;
    for (let number = 1; number <= document.numPages; number++) {
      const lines = await readPage(document, number, name);
      if (failure.error) throw failure.error;
      if (lines.length === 0) emptyPages++;
      const stripped = heads.strip(lines);
      report.boilerplateDropped += stripped.dropped;
      const blocks = layoutPage(stripped.lines, scale, number);
      if (pendingTable && blocks[0]?.kind === 'table' && sameColumns(pendingTable, blocks[0])) {
        blocks[0] = continueTable(pendingTable, blocks[0], number);
      } else if (pendingTable) {
        yield pendingTable;
      }
      pendingTable = blocks[blocks.length - 1]?.kind === 'table' ? blocks.pop() : undefined;
      yield* blocks;
      if (number % cleanupEvery === 0) await document.cleanup();
    }
    if (pendingTable) yield pendingTable;
    report.sections = document.numPages - emptyPages;
    noteEmptyPages(report, emptyPages, document.numPages, name);
  } finally {
    await document.destroy();
  }
}

/** A range pdf.js asked for that could not be read: the error is thrown after the page that wanted it. */
type ReadFailure = { error?: unknown };

async function openPdf(data: Uint8Array | RangedDocument, name: string, failure: ReadFailure): Promise<PdfDocument> {
  const length = data instanceof Uint8Array ? data.length : data.bytes;
  const tail = data instanceof Uint8Array ? data.subarray(Math.max(0, length - 2048)) : await data.read(Math.max(0, length - 2048), 2048);
  if (!Buffer.from(tail.buffer, tail.byteOffset, tail.length).toString('latin1').includes('%%EOF')) throw corrupt(name, 'it does not end with %%EOF, so it looks truncated');
  try {
    return await open(data instanceof Uint8Array ? { data: ownBuffer(data) } : await rangeSource(data, failure), name);
  } catch (error) {
    throw failure.error ?? error;
  }
}

type PdfSource = { data: Uint8Array } | { range: InstanceType<PdfJs['PDFDataRangeTransport']>; disableAutoFetch: true; disableStream: true; rangeChunkSize: number };

/** pdf.js takes a buffer over (it is detached, not copied); it wants a plain Uint8Array, and a view on a larger buffer is copied first. */
function ownBuffer(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? new Uint8Array(data.buffer, 0, data.byteLength) : new Uint8Array(data);
}

/**
 * pdf.js asks for the ranges it parses (xref, page objects, content streams) and nothing else: no
 * auto-fetch of the rest, no streaming of the whole. A failed read is kept and rethrown by readPage.
 */
async function rangeSource(file: RangedDocument, failure: ReadFailure): Promise<PdfSource> {
  const library = await (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
  const range = new library.PDFDataRangeTransport(file.bytes, null);
  range.requestDataRange = (begin: number, end: number) => {
    file.read(begin, end - begin).then((chunk) => range.onDataRange(begin, chunk), (error: unknown) => {
      // pdf.js has no way to be told a range failed: it gets blanks, so it never waits forever, and the error is thrown after the page.
      failure.error ??= error;
      range.onDataRange(begin, new Uint8Array(end - begin));
    });
  };
  return { range, disableAutoFetch: true, disableStream: true, rangeChunkSize: 65_536 };
}

async function open(source: PdfSource, name: string): Promise<PdfDocument> {
  const library = await (pdfjs ??= import('pdfjs-dist/legacy/build/pdf.mjs'));
  try {
    return await library.getDocument({
      ...source,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
      cMapUrl: `${assets}/cmaps/`,
      cMapPacked: true,
      standardFontDataUrl: `${assets}/standard_fonts/`,
    }).promise;
  } catch (error) {
    const kind = (error as { name?: string }).name;
    if (kind === 'PasswordException') {
      throw new InputError(`${name} is encrypted with a password, so its text cannot be read. Open it with the password and save an unprotected copy (for example: qpdf --password=... --decrypt in.pdf out.pdf), then try again.`, 'document_encrypted');
    }
    throw corrupt(name, error instanceof Error ? error.message : 'unknown error');
  }
}

/** Evenly spread pages (all of a short document) for the font sizes and running heads. */
async function samplePages(document: PdfDocument, name: string): Promise<PdfLine[][]> {
  const count = Math.min(sampledPages, document.numPages);
  const numbers = new Set(Array.from({ length: count }, (_, i) => 1 + Math.floor((i * document.numPages) / count)));
  const pages: PdfLine[][] = [];
  for (const number of numbers) pages.push(await readPage(document, number, name));
  return pages;
}

async function readPage(document: PdfDocument, number: number, name: string): Promise<PdfLine[]> {
  try {
    const page = await document.getPage(number);
    const content = await page.getTextContent();
    page.cleanup();
    return pageLines((content.items as object[]).filter((item): item is TextItem => 'str' in item));
  } catch (error) {
    throw corrupt(name, `page ${number}: ${error instanceof Error ? error.message : 'unreadable'}`);
  }
}

function sameColumns(table: DocumentBlock, next: DocumentBlock): boolean {
  const columns = (block: DocumentBlock) => tableRows(block.text)[0]!.split(/(?<!\\)\|/).length;
  return columns(table) === columns(next);
}

/** The next page's rows join the table; a header row repeated on the new page is dropped. */
function continueTable(table: DocumentBlock, next: DocumentBlock, page: number): DocumentBlock {
  const header = tableRows(table.text)[0];
  const rows = tableRows(next.text);
  const body = rows[0] === header ? rows.slice(1) : rows;
  return { ...table, text: [table.text, ...body].join('\n'), pageEnd: page };
}

function noteEmptyPages(report: ExtractionReport, emptyPages: number, pages: number, name: string): void {
  if (emptyPages === pages) report.warnings.push(`${name}: no text layer: run OCR first (for example: ocrmypdf in.pdf out.pdf). Its ${pages} page${pages === 1 ? ' is' : 's are'} images only, as in a scanned PDF.`);
  else if (emptyPages > 0 && emptyPages >= pages * 0.2) report.warnings.push(`${name}: ${emptyPages} of ${pages} pages have no text layer (scanned?); run OCR first to include them.`);
}

function corrupt(name: string, detail: string): InputError {
  return new InputError(`${name} is a damaged or truncated PDF (${detail}). Download or export it again, or repair it (for example: qpdf in.pdf repaired.pdf), and try again.`, 'document_corrupt');
}
