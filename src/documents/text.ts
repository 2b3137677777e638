/**
 * Plain text and Markdown: one 'markdown' block the chunker scans for its own structure, with a
 * Project Gutenberg header and licence cut off when the book carries its START and END lines.
 */
import { InputError } from '../errors.js';
import type { DocumentBlock, ExtractionReport } from './model.js';

const gutenbergStart = /^\*{3} ?START OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*\*{3}[ \t]*$/im;
const gutenbergEnd = /^\*{3} ?END OF (?:THE|THIS) PROJECT GUTENBERG E-?BOOK[^\n]*$/im;

export async function* textBlocks(data: Uint8Array, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  let text = decodeText(data, name);
  const cut = withoutGutenbergLicence(text);
  report.boilerplateDropped += cut.droppedLines;
  text = cut.text;
  if (text.trim().length === 0) throw new InputError(`${name} contains only whitespace, so there is nothing to distill. Add text to it or pick another document.`, 'document_empty');
  report.sections = 1;
  yield { kind: 'markdown', text };
}

/** UTF-8 text, refused when it is binary or not UTF-8; without a BOM, with LF line ends. */
export function decodeText(data: Uint8Array, name: string): string {
  if (data.indexOf(0) !== -1) {
    throw new InputError(`${name} contains NUL bytes, so it looks binary, not text. PDF, DOCX, HTML, EPUB, .txt and .md documents can be distilled; export it as one of those first.`, 'document_binary');
  }
  let text: string;
  try {
    // fatal: invalid UTF-8 is refused, never silently replaced.
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new InputError(`${name} is not valid UTF-8 text. Convert it to UTF-8 (for example: iconv -f WINDOWS-1252 -t UTF-8 in.txt > out.txt) and try again.`, 'document_encoding');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.indexOf('\r') === -1 ? text : text.replace(/\r\n?/g, '\n');
}

export function withoutGutenbergLicence(text: string): { text: string; droppedLines: number } {
  const start = gutenbergStart.exec(text);
  const end = gutenbergEnd.exec(text);
  if (!start && !end) return { text, droppedLines: 0 };
  const from = start ? start.index + start[0].length : 0;
  const to = end && end.index > from ? end.index : text.length;
  const kept = text.slice(from, to);
  return { text: kept, droppedLines: lineCount(text) - lineCount(kept) };
}

function lineCount(text: string): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return lines;
}
