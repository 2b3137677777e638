/**
 * What a file is, from its content, never its name: %PDF for PDF, a zip holding [Content_Types].xml
 * and word/ for DOCX, a zip whose mimetype entry says application/epub+zip for EPUB, markup sniffing
 * for HTML, and otherwise text (Markdown when named .md).
 */
import path from 'node:path';
import { strFromU8 } from 'fflate';
import { InputError } from '../errors.js';
import { typeNames, type DocumentType } from './model.js';
import { readZipEntries, zipEntries } from './zip.js';

const pdfMagic = Buffer.from('%PDF-');
const zipMagic = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** OLE compound files: how Office stores a password-protected document, and old .doc files. */
const oleMagic = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const htmlStart = /^(?:\s|<!--[\s\S]*?-->)*<(?:!doctype\s+html|html|head|body|meta|title|article|main|section|div|p|h[1-6])[\s>/]/i;
const claimedByExtension: Record<string, DocumentType> = { '.pdf': 'pdf', '.docx': 'docx', '.epub': 'epub', '.html': 'html', '.htm': 'html', '.xhtml': 'html', '.md': 'markdown', '.markdown': 'markdown', '.txt': 'text' };

export interface Detected {
  type: DocumentType;
  /** Set when the name promises another format than the content has. */
  warning?: string;
}

export function detectType(data: Uint8Array, name: string): Detected {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, 1024));
  const extension = path.extname(name).toLowerCase();
  const claimed = claimedByExtension[extension];
  if (head.subarray(0, 8).equals(oleMagic)) {
    throw new InputError(`${name} is a password-protected Office document or an old Word .doc file, so its text cannot be read. Open it in Word or LibreOffice, remove the password (File > Info > Protect Document), save it as .docx, and try again.`, 'document_encrypted');
  }
  const type = head.indexOf(pdfMagic) === firstNonSpace(head)
    ? 'pdf'
    : head.subarray(0, 4).equals(zipMagic)
      ? zipType(data, name)
      : textType(head, extension);
  if (claimed && claimed !== type && !(isText(claimed) && isText(type))) {
    if (claimed === 'pdf' || claimed === 'docx' || claimed === 'epub') {
      if (type === 'text' || type === 'markdown') throw lies(name, claimed, 'plain text or an unknown binary');
    }
    return { type, warning: `${name} is named ${extension} but its content is ${typeNames[type]}; it was read as ${typeNames[type]}.` };
  }
  return { type };
}

function firstNonSpace(head: Buffer): number {
  let i = 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09 || head[i] === 0xef || head[i] === 0xbb || head[i] === 0xbf)) i++;
  return i;
}

function isText(type: DocumentType): boolean {
  return type === 'text' || type === 'markdown';
}

function zipType(data: Uint8Array, name: string): DocumentType {
  const entries = zipEntries(data, name);
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has('mimetype')) {
    const mimetype = readZipEntries(data, (entry) => entry === 'mimetype', name).get('mimetype');
    if (mimetype && strFromU8(mimetype).trim() === 'application/epub+zip') return 'epub';
  }
  if (names.has('[Content_Types].xml') && entries.some((entry) => entry.name.startsWith('word/'))) return 'docx';
  throw new InputError(`${name} is a zip archive but not a DOCX or EPUB document (no word/ part, no application/epub+zip mimetype). Unpack it and distill the documents inside, or save it as .docx.`, 'document_type');
}

function textType(head: Buffer, extension: string): DocumentType {
  const start = head.toString('utf8');
  if (htmlStart.test(start)) return 'html';
  return extension === '.md' || extension === '.markdown' ? 'markdown' : 'text';
}

function lies(name: string, claimed: DocumentType, actual: string): InputError {
  return new InputError(`${name} is named as ${typeNames[claimed]} but is not one (its content looks like ${actual}). Open it in the program that made it and save or export it again as ${typeNames[claimed]}, or rename it to what it is.`, 'document_type_mismatch');
}
