/**
 * What a distillation reads: one document or every document under a folder, each read with the
 * file checks, extracted by its format (src/documents) and chunked, with a report per document.
 */
import { InputError } from '../../errors.js';
import { listDocuments, openDocument, resolveDocument, type DocumentRef } from '../../files/documents.js';
import { extractRanged } from '../../documents/extract.js';
import { typeNames, type ExtractionReport } from '../../documents/model.js';
import { chunkBlocks, type Chunk, type ChunkOptions } from './chunker.js';

/** A chunk as a run keeps it: which file it came from and its heading path as one line. */
export interface SourceChunk extends Chunk {
  file: string;
  heading_path: string;
}

export interface DistillSource {
  ref: DocumentRef;
  name: string;
  sha256: string;
  bytes: number;
  report: ExtractionReport;
  chunks: SourceChunk[];
}

export interface DistillInputs {
  /** Set when the path named a folder. */
  folder?: DocumentRef;
  refs: DocumentRef[];
}

const folderLimit = 1000;

export async function resolveInputs(typed: string, roots: string[]): Promise<DistillInputs> {
  const ref = await resolveDocument(typed, roots, { folders: true });
  if (!ref.folder) return { refs: [ref] };
  const listing = await listDocuments(roots, { under: ref, limit: folderLimit });
  if (listing.documents.length === 0) {
    throw new InputError(`The folder ${ref.relative || ref.path} holds no PDF, DOCX, HTML, EPUB, .txt or .md documents. Put documents in it or name another folder.`, 'document_not_found');
  }
  if (listing.truncated) throw new InputError(`The folder ${ref.relative || ref.path} holds more than ${folderLimit} documents. Distill its subfolders one at a time.`, 'folder_too_large');
  return { folder: ref, refs: listing.documents };
}

/** Reads, extracts and chunks one document; `firstIndex` numbers its chunks on from the documents before it. */
export async function readSource(ref: DocumentRef, maxBytes: number, options: ChunkOptions, firstIndex = 0, expectedSha256?: string): Promise<DistillSource> {
  const name = ref.relative || ref.path;
  // Opened, not read whole: a PDF is read in the ranges pdf.js parses (src/documents/extract.ts).
  const file = await openDocument(ref, { maxBytes });
  try {
    const { sha256, bytes } = file;
    if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
      throw new InputError(`${name} has changed since this run started, so its journal no longer matches. Start a new run with distill_file.`, 'document_changed');
    }
    const extraction = await extractRanged(file, name);
    const chunks: SourceChunk[] = [];
    for await (const chunk of chunkBlocks(extraction.blocks, options)) {
      chunks.push({ ...chunk, index: firstIndex + chunk.index, file: name, heading_path: chunk.headings.join(' > ') });
    }
    // The chunks come from the bytes that were hashed: a write since then refuses the document.
    await file.checkUnchanged();
    return { ref, name, sha256, bytes, report: extraction.report, chunks };
  } finally {
    await file.close();
  }
}

/** One line on a document for people: type, pages or sections, words. */
export function describeSource(report: ExtractionReport): string {
  const parts = [typeNames[report.type]];
  if (report.pages !== undefined) parts.push(`${report.pages} page${report.pages === 1 ? '' : 's'}`);
  else if (report.type === 'epub') parts.push(`${report.sections} section${report.sections === 1 ? '' : 's'}`);
  parts.push(`${report.words.toLocaleString('en-US')} words`);
  return parts.join(', ');
}
