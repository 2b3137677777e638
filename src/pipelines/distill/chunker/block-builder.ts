/** Turns line ranges classified by the block scanner into blocks, keeping the heading path in force. */
import { blockBreak, tokensOfParts, type BlockKind, type Part } from './parts.js';
import { caption, headingTitle, sectionHeading } from './headings.js';
import { countRange, isWhitespace } from './tokens.js';

/** Emits blocks of text[start, end); `blocks` is drained by the caller. */
export class BlockBuilder {
  readonly blocks: Part[] = [];
  /** Whether the last block was a top-level heading, so a title line after it is its subtitle. */
  afterTopHeading = false;
  private titles: string[] = [];
  private ranks: number[] = [];
  private path: readonly string[] = [];
  private table: Part | undefined;

  constructor(
    private readonly text: string,
    private readonly tableGroupTokens: number,
  ) {}

  paragraph(start: number, end: number): void {
    const text = this.text;
    const first = text.charCodeAt(start);
    // Sidenotes and table or figure captions introduce what follows, so they travel with it.
    if ((first === 91 && text.startsWith('[Sidenote:', start)) || (end - start < 240 && caption.test(text.slice(start, start + 8)))) {
      this.emit('note', start, end);
      return;
    }
    // "SEC. 3. That the people..." starts section 3 inside its own paragraph.
    const section = first === 83 || first === 115 || first === 167 ? sectionHeading.exec(text.slice(start, start + 16)) : null;
    if (section) this.enter(3, headingTitle(section[0]));
    this.emit('text', start, end, section ? 3 : 0);
  }

  heading(rank: number, title: string, start: number, end: number): void {
    if (title.length === 0) {
      this.emit('text', start, end);
      return;
    }
    this.enter(rank, title);
    this.emit('heading', start, end, rank);
    this.afterTopHeading = rank === 1;
  }

  private enter(rank: number, title: string): void {
    while (this.ranks.length > 0 && this.ranks[this.ranks.length - 1]! >= rank) {
      this.ranks.pop();
      this.titles.pop();
    }
    this.ranks.push(rank);
    this.titles.push(title);
    this.path = Object.freeze([...this.titles]);
  }

  /** Tables separated only by blank lines (a header row, then its body) stay together up to a limit. */
  addTable(start: number, end: number, blanksBefore: number): void {
    const next = this.block('table', start, end, 0);
    const previous = this.table;
    if (previous && blanksBefore <= 2) {
      const tokens = tokensOfParts([previous, next]);
      if (tokens <= this.tableGroupTokens) {
        this.table = { ...previous, text: previous.text + blockBreak + next.text, tokens, breakTokens: undefined };
        return;
      }
    }
    this.flushTable();
    this.table = next;
    this.afterTopHeading = false;
  }

  flushTable(): void {
    if (this.table) this.blocks.push(this.table);
    this.table = undefined;
  }

  emit(kind: BlockKind, start: number, end: number, headingRank = 0): void {
    this.flushTable();
    this.blocks.push(this.block(kind, start, end, headingRank));
    if (kind !== 'heading') this.afterTopHeading = false;
  }

  /** A block of text[start, end) without its trailing whitespace, counted in place. */
  private block(kind: BlockKind, start: number, end: number, headingRank: number): Part {
    while (end > start && isWhitespace(this.text.charCodeAt(end - 1))) end--;
    return { kind, text: this.text.slice(start, end), tokens: countRange(this.text, start, end), path: this.path, headingRank };
  }
}
