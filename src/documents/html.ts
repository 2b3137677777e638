/**
 * HTML: scripts, styles and navigation are removed from the parsed tree (nothing is ever run: the
 * DOM parser has no script engine), then Mozilla Readability picks the main content, as a
 * browser's reader view does. A page Readability finds no article in is read whole.
 */
import { Readability } from '@mozilla/readability';
import { InputError } from '../errors.js';
import { domBlocks } from './dom-blocks.js';
import { flatText, parseMarkup, type DomDocument, type DomNode } from './dom.js';
import type { DocumentBlock, ExtractionReport } from './model.js';

const stripped = 'script, style, noscript, template, iframe, object, embed, nav, [role="navigation"], form';

export function decodeMarkup(data: Uint8Array, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data).replace(/^\uFEFF/, '');
  } catch {
    throw new InputError(`${name} is not valid UTF-8. Save the page again as UTF-8 (most editors offer it under "Save as") and try again.`, 'document_encoding');
  }
}

export async function* htmlBlocks(data: Uint8Array, name: string, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  const document = parseMarkup(decodeMarkup(data, name));
  report.boilerplateDropped += removeAll(document, stripped);
  const total = flatText(document.body ?? document.documentElement).length;
  const article = mainContent(document);
  const root = article && flatText(article.root).length >= Math.min(200, total * 0.3) ? article : undefined;
  if (root) report.boilerplateDropped += total > 0 && flatText(root.root).length < total ? 1 : 0;
  const content = root?.root ?? document.body ?? document.documentElement;
  const walk = domBlocks(content);
  report.boilerplateDropped += walk.boilerplate;
  report.sections = 1;
  yield* withTitle(walk.blocks, (root?.title || document.title || '').trim());
}

function removeAll(document: DomDocument, selector: string): number {
  const nodes = Array.from(document.querySelectorAll(selector));
  for (const node of nodes) node.remove?.();
  return nodes.length;
}

/** Readability's article, parsed again as a tree; it works on a copy, so the page stays whole for the fallback. */
function mainContent(document: DomDocument): { root: DomNode; title: string } | undefined {
  const copy = parseMarkup(`<!doctype html><html>${document.documentElement.outerHTML ?? ''}</html>`);
  let article: ReturnType<Readability['parse']> | null;
  try {
    article = new Readability(copy as never, { keepClasses: false }).parse();
  } catch {
    return undefined; // a page Readability cannot read is taken whole
  }
  if (!article?.content) return undefined;
  const parsed = parseMarkup(`<!doctype html><html><body>${article.content}</body></html>`);
  return parsed.body ? { root: parsed.body, title: article.title ?? '' } : undefined;
}

/**
 * The page's title is its top heading: Readability turns an article's <h1> into <h2>, so a heading
 * that repeats the title is raised back to the top, and a page without one gets the title first.
 */
function withTitle(blocks: DocumentBlock[], title: string): DocumentBlock[] {
  if (!title || blocks.some((block) => block.kind === 'heading' && block.level === 1)) return blocks;
  const named = blocks.find((block) => block.kind === 'heading' && block.text === title);
  if (!named) return [{ kind: 'heading', text: title, level: 1 }, ...blocks];
  named.level = 1;
  return blocks;
}
