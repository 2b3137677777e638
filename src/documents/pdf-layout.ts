/**
 * A page's lines as blocks: a line set larger than the body text is a heading (ranked by size), a
 * run of lines with the same two or more cells is a table, bullet lines are a list, and the other
 * lines make paragraphs, split where the line spacing opens up.
 */
import { markdownTable } from './markdown-table.js';
import type { DocumentBlock } from './model.js';
import type { PdfLine } from './pdf-lines.js';

const bullet = /^(?:[•◦▪‣●○■□–-]|\*|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+/;

/** Body and heading font sizes, learnt from sampled pages. */
export class FontScale {
  readonly body: number;
  private readonly headingSizes: number[];

  constructor(sampledPages: readonly PdfLine[][]) {
    const characters = new Map<number, number>();
    for (const lines of sampledPages) for (const line of lines) characters.set(round(line.size), (characters.get(round(line.size)) ?? 0) + line.text.length);
    this.body = [...characters.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 10;
    this.headingSizes = [...characters.keys()].filter((size) => this.isHeadingSize(size)).sort((a, b) => b - a);
  }

  /** 0 for body text, else the heading rank (1 is the largest size). */
  level(line: PdfLine): number {
    const size = round(line.size);
    if (!this.isHeadingSize(size) || line.text.length > 160 || line.cells.length > 1) return 0;
    const larger = this.headingSizes.filter((known) => known > size).length;
    return Math.min(6, larger + 1);
  }

  private isHeadingSize(size: number): boolean {
    return size >= this.body * 1.15;
  }
}

function round(size: number): number {
  return Math.round(size * 2) / 2;
}

export function layoutPage(lines: readonly PdfLine[], scale: FontScale, page: number): DocumentBlock[] {
  const blocks: DocumentBlock[] = [];
  let paragraph: string[] = [];
  let list: string[] = [];
  let table: string[][] = [];
  let previous: PdfLine | undefined;
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'text', text: joinLines(paragraph), page });
    if (list.length > 0) blocks.push({ kind: 'list', text: list.join('\n'), page });
    if (table.length > 0) blocks.push(table.length >= 2 ? { kind: 'table', text: markdownTable(table), page } : { kind: 'text', text: table[0]!.join(' '), page });
    paragraph = [];
    list = [];
    table = [];
  };
  for (const line of lines) {
    const level = scale.level(line);
    const gap = previous ? previous.y - line.y : 0;
    const widening = previous !== undefined && gap > Math.max(previous.size, line.size) * 1.9;
    if (level > 0) {
      flush();
      const last = blocks[blocks.length - 1];
      // A heading set over two lines is one heading.
      if (last?.kind === 'heading' && last.level === level && !widening) last.text += ` ${line.text}`;
      else blocks.push({ kind: 'heading', text: line.text, level, page });
    } else if (line.cells.length >= 2 && (table.length === 0 || table[0]!.length === line.cells.length)) {
      if (table.length === 0) flush();
      table.push(line.cells);
    } else if (bullet.test(line.text)) {
      if (list.length === 0 || widening) flush();
      list.push(`- ${line.text.replace(bullet, '')}`);
    } else if (list.length > 0 && !widening && previous && line.x > previous.x - 1) {
      list[list.length - 1] += ` ${line.text}`;
    } else {
      if (widening || table.length > 0 || list.length > 0) flush();
      paragraph.push(line.text);
    }
    previous = line;
  }
  flush();
  return blocks;
}

/** Lines of a paragraph as one line of text, words broken by a hyphen at a line end joined again. */
function joinLines(lines: string[]): string {
  let text = lines[0]!;
  for (const line of lines.slice(1)) text = /[a-z]-$/.test(text) && /^[a-z]/.test(line) ? text.slice(0, -1) + line : `${text} ${line}`;
  return text;
}
