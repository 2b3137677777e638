/**
 * Project Gutenberg's header and licence around a book (HTML and EPUB editions): everything up to
 * its "*** START OF ..." line and from its "*** END OF ..." line is dropped.
 */
import type { DocumentBlock, ExtractionReport } from './model.js';

const start = /\*{3} ?START OF (?:THE|THIS) PROJECT GUTENBERG/i;
const end = /\*{3} ?END OF (?:THE|THIS) PROJECT GUTENBERG/i;
/** Blocks held back until a START line is known to be absent: a book's header is short. */
const lookahead = 200;

export async function* withoutGutenbergBlocks(blocks: AsyncGenerator<DocumentBlock>, report: ExtractionReport): AsyncGenerator<DocumentBlock> {
  const held: DocumentBlock[] = [];
  let started = false;
  for await (const block of blocks) {
    if (block.kind === 'markdown') {
      yield block; // plain text is cut by the text reader itself
      continue;
    }
    if (end.test(block.text)) {
      report.boilerplateDropped++;
      for await (const _ of blocks) report.boilerplateDropped++;
      break;
    }
    if (!started && start.test(block.text)) {
      report.boilerplateDropped += held.length + 1;
      held.length = 0;
      started = true;
      continue;
    }
    if (started) {
      yield block;
      continue;
    }
    held.push(block);
    if (held.length > lookahead) {
      started = true;
      yield* held.splice(0);
    }
  }
  yield* held;
}
