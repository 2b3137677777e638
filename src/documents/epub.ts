/**
 * EPUB: container.xml names the package (OPF), whose spine lists the chapters in reading order;
 * each chapter is XHTML, walked like a web page. Chapters are inflated one at a time.
 */
import path from 'node:path';
import { strFromU8 } from 'fflate';
import { InputError } from '../errors.js';
import { domBlocks } from './dom-blocks.js';
import { parseMarkup, type DomNode } from './dom.js';
import type { DocumentBlock, ExtractionReport } from './model.js';
import { readZipEntries, zipEntries } from './zip.js';

export async function* epubBlocks(data: Uint8Array, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  const entries = new Set(zipEntries(data, name).map((entry) => entry.name));
  if (entries.has('META-INF/encryption.xml') && /EncryptedData/.test(readText(data, 'META-INF/encryption.xml', name))) {
    throw new InputError(`${name} is protected by DRM (its chapters are encrypted), so its text cannot be read. Distill a DRM-free copy of the book.`, 'document_encrypted');
  }
  const container = parseMarkup(readText(data, 'META-INF/container.xml', name));
  const packagePath = attribute(container.querySelectorAll('rootfile')[0], 'full-path');
  if (!packagePath || !entries.has(packagePath)) throw broken(name, 'its META-INF/container.xml names no package file');
  const chapters = spine(readText(data, packagePath, name), path.posix.dirname(packagePath)).filter((chapter) => entries.has(chapter));
  if (chapters.length === 0) throw broken(name, 'its spine lists no chapters');
  for (const chapter of chapters) {
    const document = parseMarkup(readText(data, chapter, name).replace(/<\?xml[^>]*\?>/, ''));
    report.boilerplateDropped += Array.from(document.querySelectorAll('script, style')).map((node) => node.remove?.()).length;
    const walk = domBlocks(document.body ?? document.documentElement);
    report.boilerplateDropped += walk.boilerplate;
    if (walk.blocks.length > 0) report.sections++;
    yield* walk.blocks;
  }
}

/** Chapter paths in reading order: spine itemrefs resolved through the manifest, linear="no" left out. */
function spine(opf: string, base: string): string[] {
  const document = parseMarkup(opf);
  const manifest = new Map<string, { href: string; type: string }>();
  for (const item of Array.from(document.querySelectorAll('item'))) {
    const id = attribute(item, 'id');
    const href = attribute(item, 'href');
    if (id && href) manifest.set(id, { href, type: attribute(item, 'media-type') ?? '' });
  }
  const chapters: string[] = [];
  for (const ref of Array.from(document.querySelectorAll('itemref'))) {
    const item = manifest.get(attribute(ref, 'idref') ?? '');
    if (!item || attribute(ref, 'linear') === 'no' || !/html/.test(item.type)) continue;
    chapters.push(path.posix.normalize(path.posix.join(base, decodeURIComponent(item.href.split('#')[0]!))));
  }
  return [...new Set(chapters)];
}

function readText(data: Uint8Array, entry: string, name: string): string {
  const bytes = readZipEntries(data, (candidate) => candidate === entry, name).get(entry);
  if (!bytes) throw broken(name, `it has no ${entry}`);
  return strFromU8(bytes);
}

function attribute(node: DomNode | undefined, key: string): string | undefined {
  return node?.getAttribute?.(key) ?? undefined;
}

function broken(name: string, why: string): InputError {
  return new InputError(`${name} is not a readable EPUB: ${why}. Export the book again from its editor (or check it with epubcheck) and try again.`, 'document_corrupt');
}
