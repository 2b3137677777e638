/**
 * Token-aware, structure-aware chunking for document distillation. Splits at headings first, then
 * paragraphs (blank lines), then sentences, then whitespace; never inside a code block or a table.
 * A generator: blocks stream in, chunks stream out, so memory stays flat whatever the document size.
 *
 * Token counts are exact o200k_base counts (gpt-tokenizer's own pre-tokenizer regex and BPE), made
 * fast by a bounded per-pre-token cache and by adding up block counts with an exact correction for
 * the blank line that joins two blocks, so no text is tokenized twice.
 */
import { InputError } from '../../errors.js';
import { scanBlocks } from './chunker/blocks.js';
import type { Part } from './chunker/parts.js';
import { ChunkPacker } from './chunker/pack.js';
import { partsOfBlock } from './chunker/structured.js';
import type { DocumentBlock } from '../../documents/model.js';
import { defaultChunkOptions, type Chunk, type ChunkOptions } from './chunker/types.js';

export { countTokens } from './chunker/tokens.js';
export { defaultChunkOptions, type Chunk, type ChunkOptions } from './chunker/types.js';

function checkOptions(options: ChunkOptions): void {
  const { chunkTokens, overlapTokens } = options;
  if (!Number.isInteger(chunkTokens) || chunkTokens < 32 || chunkTokens > 200_000) {
    throw new InputError(`chunk_tokens must be a whole number from 32 to 200000, but it is ${chunkTokens}. Leave it out to use ${defaultChunkOptions.chunkTokens}.`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > chunkTokens / 2) {
    throw new InputError(`overlap_tokens must be a whole number from 0 to half of chunk_tokens (${Math.floor(chunkTokens / 2)}), but it is ${overlapTokens}. Leave it out to use ${defaultChunkOptions.overlapTokens}.`);
  }
}

/**
 * Streams the chunks of a document. Token-aware (o200k_base; `tokens` is exactly
 * countTokens(chunk.text)): no chunk is over chunkTokens except one holding a single table or code
 * block bigger than that, which stays whole. A chunk starts with up to overlapTokens of the previous
 * one's trailing paragraphs or sentences (none after a new top-level heading), and `headings` is the
 * heading path of its first new text. Exact duplicates are dropped; indexes stay dense. Options are
 * checked at once (InputError), before the first chunk is asked for.
 */
export function chunkDocument(text: string, options: ChunkOptions = defaultChunkOptions): Generator<Chunk> {
  checkOptions(options);
  let normalised = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // indexOf, not includes: V8 scans a one-character includes far more slowly on long strings.
  if (normalised.indexOf('\r') >= 0) normalised = normalised.replace(/\r\n?/g, '\n');
  return generateChunks(normalised, options);
}

function* generateChunks(text: string, options: ChunkOptions): Generator<Chunk> {
  const packer = new ChunkPacker(options);
  for (const block of scanBlocks(text, tableGroupTokens(options))) yield* packed(packer, block);
  packer.finish();
  yield* packer.chunks;
}

/**
 * Streams the chunks of an extracted document (src/documents: any format), with the same packing
 * as chunkDocument; chunks of paged documents carry their page and pages.
 */
export async function* chunkBlocks(blocks: AsyncIterable<DocumentBlock>, options: ChunkOptions = defaultChunkOptions): AsyncGenerator<Chunk> {
  checkOptions(options);
  const packer = new ChunkPacker(options);
  for await (const block of blocks) for (const part of partsOfBlock(block, tableGroupTokens(options))) yield* packed(packer, part);
  packer.finish();
  yield* packer.chunks;
}

/** Table groups stay under three quarters of a chunk so a heading (at most a quarter) fits with them. */
function tableGroupTokens(options: ChunkOptions): number {
  return Math.floor(options.chunkTokens * 0.75);
}

function* packed(packer: ChunkPacker, part: Part): Generator<Chunk> {
  packer.add(part);
  if (packer.chunks.length > 0) {
    yield* packer.chunks;
    packer.chunks.length = 0;
  }
}
