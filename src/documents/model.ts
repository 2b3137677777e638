/**
 * The one structured text model every format is extracted into: a stream of blocks with a kind, the
 * heading path in force and, for paged formats, the page. The chunker reads only this, so the
 * pipelines do not change per format.
 */

/** A document read a range at a time (a checked file handle), so it is never held whole. */
export interface RangedDocument {
  bytes: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export type DocumentType = 'pdf' | 'docx' | 'html' | 'epub' | 'markdown' | 'text';

export type DocumentBlockKind = 'heading' | 'text' | 'list' | 'table' | 'code' | 'markdown';

export interface DocumentBlock {
  /** 'markdown' is a whole plain-text or Markdown document, scanned for structure by the chunker. */
  kind: DocumentBlockKind;
  /** Markdown: a heading's title alone, a list as "- item" lines, a table as `| a | b |` rows. */
  text: string;
  /** Heading rank, 1 the top; headings only. */
  level?: number;
  /** Headings in force, this block's own heading included. Filled by the extraction stream. */
  path?: readonly string[];
  /** 1-based page of a paged format (PDF). */
  page?: number;
  /** The last page of a block that runs over a page break (a table), when not `page`. */
  pageEnd?: number;
}

/** What extraction found, filled in while the blocks stream; final once the stream has ended. */
export interface ExtractionReport {
  type: DocumentType;
  /** Pages of a PDF, spine documents of an EPUB; undefined for unpaged formats. */
  pages?: number;
  sections: number;
  words: number;
  tableWords: number;
  headings: number;
  tables: number;
  /** Lines dropped as running headers, footers, page numbers, navigation, licence or contents. */
  boilerplateDropped: number;
  warnings: string[];
}

export function emptyReport(type: DocumentType): ExtractionReport {
  return { type, sections: 0, words: 0, tableWords: 0, headings: 0, tables: 0, boilerplateDropped: 0, warnings: [] };
}

export const typeNames: Record<DocumentType, string> = { pdf: 'PDF', docx: 'DOCX', html: 'HTML', epub: 'EPUB', markdown: 'Markdown', text: 'text' };

export function wordCount(text: string): number {
  const matches = text.match(/[\p{L}\p{N}][\p{L}\p{N}'’.-]*/gu);
  return matches ? matches.length : 0;
}

/** "p. 14", "pp. 14-15", or nothing for an unpaged document. */
export function pageLabel(pages: readonly number[] | undefined): string {
  if (!pages || pages.length === 0) return '';
  return pages.length === 1 ? `p. ${pages[0]}` : `pp. ${pages[0]}-${pages[pages.length - 1]}`;
}

/** Where text comes from, as a person cites it: "tenancy_guide.pdf, p. 14, Part II > Deposits". */
export function placeLabel(file: string, pages: readonly number[] | undefined, headings: readonly string[]): string {
  return [file, pageLabel(pages), headings.join(' > ')].filter(Boolean).join(', ');
}
