/**
 * A PDF page's text items (pdf.js getTextContent) as lines: items on one baseline joined in reading
 * order, split into cells where a gap is wider than a column gutter, with the line's font size.
 */

export interface TextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
}

export interface PdfLine {
  /** Cells: text runs separated by gaps of at least `columnGap` font sizes. */
  cells: string[];
  text: string;
  x: number;
  y: number;
  size: number;
}

/** A gap this many font sizes wide separates table cells (a word space is about a quarter of one). */
const columnGap = 1.6;

export function pageLines(items: readonly TextItem[]): PdfLine[] {
  const rows: { y: number; size: number; items: TextItem[] }[] = [];
  for (const item of items) {
    if (!item.str || !item.str.trim()) continue;
    const y = item.transform[5]!;
    const size = Math.abs(item.transform[3]!) || item.height || 10;
    const row = rows.find((candidate) => Math.abs(candidate.y - y) <= Math.max(candidate.size, size) * 0.4);
    if (row) {
      row.items.push(item);
      row.size = Math.max(row.size, size);
    } else {
      rows.push({ y, size, items: [item] });
    }
  }
  rows.sort((a, b) => b.y - a.y);
  return rows.map((row) => toLine(row.y, row.size, row.items));
}

function toLine(y: number, size: number, items: TextItem[]): PdfLine {
  items.sort((a, b) => a.transform[4]! - b.transform[4]!);
  const cells: string[] = [];
  let cell = '';
  let end = -Infinity;
  for (const item of items) {
    const x = item.transform[4]!;
    const gap = x - end;
    if (cell && gap >= size * columnGap) {
      cells.push(cell.trim());
      cell = '';
    } else if (cell && gap > size * 0.15 && !cell.endsWith(' ') && !item.str.startsWith(' ')) {
      cell += ' ';
    }
    cell += item.str;
    end = x + item.width;
  }
  if (cell.trim()) cells.push(cell.trim());
  return { cells, text: cells.join(' ').replace(/\s+/g, ' '), x: items[0]!.transform[4]!, y, size };
}
