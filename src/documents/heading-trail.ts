/** Keeps the heading path in force while blocks stream by, and counts what the report needs. */
import { wordCount, type DocumentBlock, type ExtractionReport } from './model.js';

export async function* withHeadingPaths(blocks: AsyncIterable<DocumentBlock>, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  const titles: string[] = [];
  const levels: number[] = [];
  let path: readonly string[] = [];
  for await (const block of blocks) {
    if (block.kind === 'heading') {
      const level = block.level ?? 1;
      while (levels.length > 0 && levels[levels.length - 1]! >= level) {
        levels.pop();
        titles.pop();
      }
      levels.push(level);
      titles.push(block.text);
      path = Object.freeze([...titles]);
      report.headings++;
    }
    const words = wordCount(block.text);
    report.words += words;
    if (block.kind === 'table') {
      report.tables++;
      report.tableWords += words;
    }
    yield { ...block, path };
  }
}
