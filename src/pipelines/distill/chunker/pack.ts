/** Packs blocks into chunks: headings stay with what they introduce, overlap, duplicates dropped. */
import { createHash } from 'node:crypto';
import { overlapFrom } from './overlap.js';
import { breakAfter, fragmentOf, isMajorHeading, joinParts, slashJoin, splittable, tokensOfParts, type Part } from './parts.js';
import { leadingSentences } from './sentences.js';
import { span, splitText } from './split.js';
import { countTokens } from './tokens.js';
import type { Chunk, ChunkOptions } from './types.js';

/** Packs blocks into chunks; `chunks` is drained by the caller after each block. */
export class ChunkPacker {
  readonly chunks: Chunk[] = [];
  private parts: Part[] = [];
  private tokens = 0;
  private overlapTokens = 0;
  /** Index of the first part that is not overlap from the previous chunk. */
  private newFrom = 0;
  /** Headings and sidenotes wait for the block they introduce, so they never end a chunk. */
  private pending: Part[] = [];
  private readonly seen = new Set<string>();
  private index = 0;

  constructor(private readonly options: ChunkOptions) {}

  add(block: Part): void {
    if (block.kind === 'heading' || block.kind === 'note') {
      // Sidenotes before a new ARTICLE belong to what came before it.
      if (isMajorHeading(block) && this.pending.some((part) => part.kind === 'note')) this.flushPending();
      this.pending.push(block);
      if (tokensOfParts(this.pending) > this.options.chunkTokens / 4) this.flushPending();
      return;
    }
    const group = this.pending.length > 0 ? [...this.pending, block] : [block];
    this.pending = [];
    this.place(group);
  }

  finish(): void {
    this.flushPending();
    this.close(false, false);
  }

  private flushPending(): void {
    const group = this.pending;
    this.pending = [];
    if (group.length > 0) this.place(group);
  }

  /** A new ARTICLE or CHAPTER does not close a chunk smaller than this (title pages, lone captions). */
  private minimumTokens(): number {
    return Math.max(24, Math.floor(this.options.chunkTokens / 20));
  }

  private hasNew(): boolean {
    return this.newFrom < this.parts.length;
  }

  private place(group: Part[]): void {
    const limit = this.options.chunkTokens;
    const major = isMajorHeading(group[0]!);
    if (this.hasNew()) {
      if (group.length === 1 && this.extendFragment(group[0]!)) return;
      const small = this.tokens - this.overlapTokens < this.minimumTokens();
      if ((!major || small) && this.tokensWith(group) <= limit) {
        this.append(group);
        return;
      }
      if (!major && this.fillWithLeadingSentences(group)) return;
      // A new ARTICLE or CHAPTER always starts a chunk; otherwise the chunk is full.
      this.close(!major, !major);
      if (this.hasNew()) {
        this.place(group);
        return;
      }
    }
    if (major) this.setParts([]);
    if (this.tokensWith(group) <= limit) {
      this.append(group);
      return;
    }
    if (tokensOfParts(group) > limit) {
      this.placeOversized(group);
      return;
    }
    while (this.parts.length > 0 && this.tokensWith(group) > limit) this.setParts(this.parts.slice(1));
    this.append(group);
  }

  /** The next piece of the same block joins the previous one as the original text, not as a new paragraph. */
  private extendFragment(part: Part): boolean {
    const last = this.parts[this.parts.length - 1];
    if (!last?.origin || last.origin !== part.origin || last.originEnd! > part.originStart!) return false;
    const text = last.origin.text.slice(last.originStart, part.originEnd);
    const parts = [...this.parts.slice(0, -1), { ...last, text, tokens: countTokens(text), originEnd: part.originEnd, breakTokens: undefined }];
    const tokens = tokensOfParts(parts);
    if (tokens > this.options.chunkTokens) return false;
    this.parts = parts;
    this.tokens = tokens;
    return true;
  }

  /** A paragraph too big for any chunk first fills the rest of this one with its leading sentences. */
  private fillWithLeadingSentences(group: Part[]): boolean {
    const block = group[group.length - 1]!;
    const limit = this.options.chunkTokens;
    if (!splittable.has(block.kind) || tokensOfParts(group) <= limit) return false;
    const header = group.slice(0, -1);
    const room = limit - this.tokensWith(header) - 4;
    const head = room >= limit / 4 ? leadingSentences(block.text, room) : undefined;
    if (!head) return false;
    const base = block.originStart ?? 0;
    const first: Part = { ...fragmentOf(block, head.text, head.tokens, base, base + head.text.length), headingRank: block.headingRank };
    if (this.tokensWith([...header, first]) > limit) return false;
    this.append([...header, first]);
    const rest = span(block.text, head.end, block.text.length, base);
    if (rest.text.length > 0) this.place([fragmentOf(block, rest.text, rest.tokens, rest.start, rest.end)]);
    return true;
  }

  /** A group bigger than a whole chunk: a table or code block stays whole, text is split. */
  private placeOversized(group: Part[]): void {
    const block = group[group.length - 1]!;
    const header = group.slice(0, -1);
    this.setParts([]);
    if (!splittable.has(block.kind)) {
      // Only a block that is itself too big may make a chunk too big; its headings go first if they must.
      if (block.tokens <= this.options.chunkTokens && header.length > 0) {
        this.emit(header, tokensOfParts(header));
        this.emit([block], block.tokens);
      } else {
        this.emit(group, tokensOfParts(group));
      }
      return;
    }
    // Pieces leave room for the overlap and for the headings that go with the first one; a single
    // sentence or word is only cut when it is bigger than a whole chunk.
    const limit = this.options.chunkTokens;
    const headerTokens = header.length > 0 ? tokensOfParts(header) + 4 : 0;
    const room = Math.max(limit - Math.max(headerTokens, this.options.overlapTokens + 8), Math.floor(limit / 4));
    let first = true;
    const base = block.originStart ?? 0;
    for (const piece of splitText(block.text, room, limit)) {
      const fragment: Part = { ...fragmentOf(block, piece.text, piece.tokens, base + piece.start, base + piece.end), headingRank: first ? block.headingRank : 0 };
      if (first && tokensOfParts([...header, fragment]) > limit) {
        // A first sentence that fills a chunk alone: its headings go just before it.
        this.emit(header, tokensOfParts(header));
        this.place([fragment]);
      } else {
        this.place(first ? [...header, fragment] : [fragment]);
      }
      first = false;
    }
  }

  private tokensWith(group: readonly Part[]): number {
    let total = this.tokens;
    let previous = this.parts[this.parts.length - 1];
    for (const part of group) {
      if (!previous) total = part.tokens;
      else if (slashJoin(previous, part)) return tokensOfParts([...this.parts, ...group]);
      else total += breakAfter(previous) + part.tokens;
      previous = part;
    }
    return total;
  }

  private append(group: readonly Part[]): void {
    this.tokens = this.tokensWith(group);
    this.parts.push(...group);
  }

  /** Replaces the chunk under construction with overlap parts only. */
  private setParts(parts: Part[]): void {
    this.parts = parts;
    this.newFrom = parts.length;
    this.tokens = tokensOfParts(parts);
    this.overlapTokens = this.tokens;
  }

  /** Emits the chunk, optionally cutting at its last heading if that keeps at least half a chunk. */
  private close(withOverlap: boolean, preferHeading: boolean): void {
    if (!this.hasNew()) {
      this.setParts([]);
      return;
    }
    let cut = this.parts.length;
    if (preferHeading) {
      for (let k = this.parts.length - 1; k > this.newFrom; k--) {
        if (this.parts[k]!.headingRank === 0) continue;
        // The sidenotes and headings that introduce a section go with it.
        while (k - 1 > this.newFrom && (this.parts[k - 1]!.kind === 'note' || this.parts[k - 1]!.kind === 'heading')) k--;
        if (tokensOfParts(this.parts.slice(0, k)) >= this.options.chunkTokens / 2) cut = k;
        break;
      }
    }
    const emitted = this.parts.slice(0, cut);
    const carried = this.parts.slice(cut);
    this.emit(emitted, cut === this.parts.length ? this.tokens : tokensOfParts(emitted));
    this.setParts(withOverlap ? overlapFrom(emitted, this.options.overlapTokens) : []);
    if (carried.length === 0) return;
    while (this.parts.length > 0 && this.tokensWith(carried) > this.options.chunkTokens) this.setParts(this.parts.slice(1));
    this.append(carried);
  }

  private emit(parts: readonly Part[], tokens: number): void {
    const text = joinParts(parts);
    const start = parts.find((part) => part.kind !== 'overlap' && part.kind !== 'heading' && part.kind !== 'note') ?? parts.find((part) => part.kind !== 'overlap') ?? parts[0];
    // The text is already normalised: LF line endings, blocks trimmed and joined by one blank line.
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    if (this.seen.has(hash)) return;
    this.seen.add(hash);
    this.chunks.push({ index: this.index++, text, tokens, headings: [...(start?.path ?? [])], hash, ...pagesOf(parts) });
  }
}

/** The pages a chunk's parts came from, for paged documents only: the first, and every one covered. */
function pagesOf(parts: readonly Part[]): { page?: number; pages?: number[] } {
  let first = Infinity;
  let last = -Infinity;
  for (const part of parts) {
    if (part.page === undefined) continue;
    first = Math.min(first, part.page);
    last = Math.max(last, part.pageEnd ?? part.page);
  }
  if (first === Infinity) return {};
  return { page: first, pages: Array.from({ length: last - first + 1 }, (_, i) => first + i) };
}
