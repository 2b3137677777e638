/**
 * One entry for every format: detect the type from the bytes, stream the format's blocks through
 * the common heading trail and boilerplate cut, and report what was found, with warnings.
 */
import { InputError } from '../errors.js';
import { detectType } from './detect.js';
import { withHeadingPaths } from './heading-trail.js';
import { emptyReport, type DocumentBlock, type DocumentType, type ExtractionReport, type RangedDocument } from './model.js';
import { textBlocks } from './text.js';
import { withoutGutenbergBlocks } from './gutenberg.js';

type Extractor = (data: Uint8Array, name: string, report: ExtractionReport) => AsyncGenerator<DocumentBlock>;

// Each format's libraries (pdf.js, mammoth, linkedom, Readability, turndown) load on its first
// document: the server and the commands that read none start without them (about 25 MB).
const extractors: Record<DocumentType, () => Promise<Extractor>> = {
  pdf: async () => (await import('./pdf.js')).pdfBlocks,
  docx: async () => (await import('./docx.js')).docxBlocks,
  html: async () => (await import('./html.js')).htmlBlocks,
  epub: async () => (await import('./epub.js')).epubBlocks,
  markdown: async () => textBlocks,
  text: async () => textBlocks,
};

async function* loaded(type: DocumentType, data: Uint8Array, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  yield* (await extractors[type]())(data, name, report);
}

export interface Extraction {
  report: ExtractionReport;
  /** The blocks, each with its heading path; the report is final once they have all been read. */
  blocks: AsyncGenerator<DocumentBlock>;
}

/**
 * Starts extracting `data` (the bytes of the file called `name`); throws InputError at once for a
 * file it cannot read. A PDF's buffer is handed to pdf.js and detached, so it is not copied: read
 * what you need of `data` before the blocks.
 */
export function extractDocument(data: Uint8Array, name: string): Extraction {
  const detected = detectType(data, name);
  const report = emptyReport(detected.type);
  if (detected.warning) report.warnings.push(detected.warning);
  const blocks = withHeadingPaths(withoutGutenbergBlocks(loaded(detected.type, data, name, report), report), report);
  return { report, blocks: finished(blocks, report, name) };
}

/**
 * As extractDocument, for a document read in ranges: a PDF is handed to pdf.js as ranges (it reads
 * the parts it parses, never the images or the unused objects); any other format is read whole.
 */
export async function extractRanged(file: RangedDocument, name: string): Promise<Extraction> {
  const head = await file.read(0, 1024);
  // A zip's type is read from its entries, so only the whole file says; any other type shows in its first 1 KB.
  const detected = head[0] === 0x50 && head[1] === 0x4b ? undefined : detectType(head, name);
  if (detected?.type !== 'pdf') return extractDocument(await file.read(0, file.bytes), name);
  const report = emptyReport('pdf');
  if (detected.warning) report.warnings.push(detected.warning);
  const pdf = (async function* () {
    yield* (await import('./pdf.js')).pdfBlocks(file, name, report);
  })();
  return { report, blocks: finished(withHeadingPaths(withoutGutenbergBlocks(pdf, report), report), report, name) };
}

/** Refuses a document that yields no words, and adds the warnings only a whole pass can give. */
async function* finished(blocks: AsyncGenerator<DocumentBlock>, report: ExtractionReport, name: string): AsyncGenerator<DocumentBlock> {
  yield* blocks;
  if (report.words === 0) {
    const scanned = report.warnings.find((warning) => warning.includes('no text layer'));
    throw new InputError(scanned ?? `${name} has no text to distill (no words were extracted). Check that it opens with text in its own program.`, scanned ? 'document_no_text' : 'document_empty');
  }
  if (report.tableWords > report.words * 0.6) {
    report.warnings.push(`${name} is mostly tables (${Math.round((report.tableWords / report.words) * 100)}% of its words): pairs from tables are often lookups; check a sample before a full run.`);
  }
}
