/** The public shapes of chunking: a chunk, its options and their defaults. */

export interface Chunk {
  index: number;
  text: string;
  tokens: number;
  headings: string[];
  /** sha256 hex of the text, first 16 characters. The text is already normalised: LF line endings, each block trimmed, blocks joined by one blank line. */
  hash: string;
  /** For paged documents (PDF): the first page of the chunk's text, and every page it covers. */
  page?: number;
  pages?: number[];
}

export interface ChunkOptions {
  chunkTokens: number;
  overlapTokens: number;
}

export const defaultChunkOptions: ChunkOptions = Object.freeze({ chunkTokens: 1200, overlapTokens: 100 });
