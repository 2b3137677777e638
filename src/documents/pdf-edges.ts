/**
 * Running headers, footers and page numbers: lines at the top or bottom of a page that repeat at the
 * same height on a good share of sampled pages (digits ignored, so "Page 3" and "Page 4" are one
 * line), or that are only a page number. They are dropped from every page. The height matters: a
 * paragraph that runs from the foot of one page to the head of the next is not a running head.
 */
import type { PdfLine } from './pdf-lines.js';

/** Lines this close to a page's top or bottom edge may be running heads. */
const edgeLines = 2;
const pageNumber = /^(?:page\s+)?[-–—(]?\s*(?:\d{1,4}|[ivxlcdm]{1,6})\s*[-–—)]?(?:\s*(?:of|\/)\s*\d{1,4})?$/i;

export function edgeKey(line: PdfLine): string {
  return `${Math.round(line.y / 4)} ${line.text.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim()}`;
}

export class RunningHeads {
  private readonly repeated = new Set<string>();

  /** Learns from sampled pages' lines: a top or bottom line on at least 40% of them (and two) repeats. */
  constructor(sampledPages: readonly PdfLine[][]) {
    const counts = new Map<string, number>();
    for (const lines of sampledPages) {
      const keys = new Set(edges(lines).map(edgeKey));
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const needed = Math.max(2, Math.ceil(sampledPages.length * 0.4));
    for (const [key, count] of counts) if (count >= needed) this.repeated.add(key);
  }

  /** The page's lines without its running heads and page numbers, and how many were dropped. */
  strip(lines: PdfLine[]): { lines: PdfLine[]; dropped: number } {
    const edge = new Set(edges(lines));
    const kept = lines.filter((line) => !(edge.has(line) && (this.repeated.has(edgeKey(line)) || pageNumber.test(line.text.trim()))));
    return { lines: kept, dropped: lines.length - kept.length };
  }
}

function edges(lines: readonly PdfLine[]): PdfLine[] {
  if (lines.length <= edgeLines * 2) return [...lines];
  return [...lines.slice(0, edgeLines), ...lines.slice(-edgeLines)];
}
