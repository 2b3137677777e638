/**
 * DOCX through mammoth: Word's heading styles become <h1>-<h6>, its lists and tables HTML lists and
 * tables, which the DOM walk turns into blocks. The zip is checked for bombs before mammoth opens it.
 */
import mammoth from 'mammoth';
import { InputError } from '../errors.js';
import { domBlocks } from './dom-blocks.js';
import { parseMarkup } from './dom.js';
import type { DocumentBlock, ExtractionReport } from './model.js';
import { zipEntries } from './zip.js';

export async function* docxBlocks(data: Uint8Array, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  zipEntries(data, name); // the caps, before mammoth inflates anything
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: Buffer.from(data.buffer, data.byteOffset, data.length) })).value;
  } catch (error) {
    throw new InputError(`${name} could not be read as a Word document (${error instanceof Error ? error.message.split('\n')[0] : 'unknown error'}). Open it in Word or LibreOffice, save it again as .docx, and try again.`, 'document_corrupt');
  }
  const document = parseMarkup(`<!doctype html><html><body>${html}</body></html>`);
  const walk = domBlocks(document.body ?? document.documentElement);
  report.boilerplateDropped += walk.boilerplate;
  report.sections = 1;
  yield* walk.blocks;
}
