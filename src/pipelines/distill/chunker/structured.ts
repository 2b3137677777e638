/**
 * The chunker's entry for extracted documents: blocks of the structured text model (any format)
 * become parts for the packer. A 'markdown' block (a plain-text document) is scanned for its own
 * structure; other blocks keep the kind, heading path and page the extractor gave them.
 */
import type { DocumentBlock } from '../../../documents/model.js';
import { scanBlocks } from './blocks.js';
import type { Part } from './parts.js';
import { countTokens } from './tokens.js';

const kinds: Record<Exclude<DocumentBlock['kind'], 'markdown'>, Part['kind']> = { heading: 'heading', text: 'text', list: 'text', table: 'table', code: 'code' };

export function* partsOfBlock(block: DocumentBlock, tableGroupTokens: number): Generator<Part> {
  if (block.kind === 'markdown') {
    yield* scanBlocks(block.text, tableGroupTokens);
    return;
  }
  const text = block.kind === 'heading' ? `${'#'.repeat(block.level ?? 1)} ${block.text}` : block.text;
  const part: Part = { kind: kinds[block.kind], text, tokens: countTokens(text), path: block.path ?? [], headingRank: block.kind === 'heading' ? (block.level ?? 1) : 0 };
  if (block.page !== undefined) part.page = block.page;
  if (block.pageEnd !== undefined) part.pageEnd = block.pageEnd;
  yield part;
}
