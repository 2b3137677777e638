/**
 * A parsed HTML tree (a web page, a DOCX converted by mammoth, an EPUB chapter) as document blocks:
 * headings, paragraphs, lists (turndown's Markdown), tables (Markdown tables, whole) and code.
 * Navigation, scripts, styles, forms and tables of contents are dropped and counted.
 */
import TurndownService from 'turndown';
import { elementNode, flatText, tagOf, textNode, type DomNode } from './dom.js';
import { markdownTable } from './markdown-table.js';
import type { DocumentBlock } from './model.js';

const dropped = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed', 'nav', 'form', 'button', 'select', 'svg', 'canvas', 'head', 'aside']);
const contentsTitle = /^(table of )?contents$/i;
let turndown: TurndownService | undefined;

function listMarkdown(node: DomNode): string {
  turndown ??= new TurndownService({ bulletListMarker: '-', codeBlockStyle: 'fenced', headingStyle: 'atx' });
  return turndown.turndown(node.outerHTML ?? '').replace(/^(\s*(?:-|\d+\.))\s+/gm, '$1 ');
}

export interface DomWalk {
  blocks: DocumentBlock[];
  boilerplate: number;
}

/** Blocks of `root`'s content, in document order. */
export function domBlocks(root: DomNode, page?: number): DomWalk {
  const walk = new DomWalker(page);
  walk.visit(root);
  walk.flushInline();
  return { blocks: walk.blocks, boilerplate: walk.boilerplate };
}

class DomWalker {
  readonly blocks: DocumentBlock[] = [];
  boilerplate = 0;
  private inline: string[] = [];
  /** Inside a "Contents" section until the next heading: its lines are not content. */
  private inContents = false;

  constructor(private readonly page: number | undefined) {}

  visit(node: DomNode): void {
    for (const child of Array.from(node.childNodes)) {
      if (child.nodeType === textNode) {
        const text = (child.textContent ?? '').replace(/\s+/g, ' ');
        if (text.trim()) this.inline.push(text);
      } else if (child.nodeType === elementNode) {
        this.element(child);
      }
    }
  }

  private element(node: DomNode): void {
    const tag = tagOf(node);
    if (dropped.has(tag) || node.getAttribute?.('role') === 'navigation' || node.getAttribute?.('epub:type') === 'toc') {
      this.boilerplate++;
      return;
    }
    const heading = /^h([1-6])$/.exec(tag);
    if (heading) return this.heading(Number(heading[1]), flatText(node));
    if (tag === 'p' || tag === 'blockquote' || tag === 'dd' || tag === 'dt' || tag === 'figcaption' || tag === 'caption') return this.add('text', flatText(node));
    if (tag === 'ul' || tag === 'ol' || tag === 'dl') return this.add(isLinkList(node) ? 'contents' : 'list', tag === 'dl' ? flatText(node) : listMarkdown(node));
    if (tag === 'table') return this.add('table', tableMarkdown(node));
    if (tag === 'pre') return this.add('code', `\`\`\`\n${(node.textContent ?? '').replace(/\n+$/, '')}\n\`\`\``);
    if (tag === 'br') return void this.inline.push('\n');
    if (isInline(tag)) {
      this.inline.push(node.textContent ?? '');
      return;
    }
    this.flushInline();
    this.visit(node);
    this.flushInline();
  }

  private heading(level: number, title: string): void {
    this.flushInline();
    if (!title) return;
    this.inContents = contentsTitle.test(title);
    if (this.inContents) {
      this.boilerplate++;
      return;
    }
    this.blocks.push({ kind: 'heading', text: title, level, page: this.page });
  }

  private add(kind: DocumentBlock['kind'] | 'contents', text: string): void {
    this.flushInline();
    if (!text.trim()) return;
    if (kind === 'contents' || this.inContents) {
      this.boilerplate += text.split('\n').length;
      return;
    }
    this.blocks.push({ kind, text: text.trim(), page: this.page });
  }

  flushInline(): void {
    const text = this.inline.join('').replace(/[ \t]+/g, ' ').replace(/ *\n */g, '\n').trim();
    this.inline = [];
    if (text) this.add('text', text);
  }
}

const inlineTags = new Set(['a', 'abbr', 'b', 'bdi', 'bdo', 'cite', 'code', 'data', 'dfn', 'em', 'i', 'kbd', 'mark', 'q', 's', 'samp', 'small', 'span', 'strong', 'sub', 'sup', 'time', 'u', 'var', 'wbr', 'img', 'label', 'font']);

function isInline(tag: string): boolean {
  return inlineTags.has(tag);
}

/** A list whose every item is only a link to a place in the same book or page: a table of contents. */
function isLinkList(node: DomNode): boolean {
  const items = Array.from(node.querySelectorAll?.('li') ?? []);
  if (items.length < 3) return false;
  return items.every((item) => {
    const links = Array.from(item.querySelectorAll?.('a') ?? []);
    const linked = links.map((link) => flatText(link)).join(' ').length;
    const href = links[0]?.getAttribute?.('href') ?? '';
    return links.length > 0 && linked >= flatText(item).length * 0.8 && (href.startsWith('#') || /\.x?html?(#|$)/i.test(href));
  });
}

function tableMarkdown(table: DomNode): string {
  const rows: string[][] = [];
  for (const row of Array.from(table.querySelectorAll?.('tr') ?? [])) {
    const cells = Array.from(row.childNodes).filter((cell) => cell.nodeType === elementNode && (tagOf(cell) === 'td' || tagOf(cell) === 'th'));
    if (cells.length > 0) rows.push(cells.map((cell) => flatText(cell)));
  }
  return rows.length > 0 ? markdownTable(rows) : '';
}
