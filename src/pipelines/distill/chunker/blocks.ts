/** Scans text line by line into blocks: paragraphs, headings, code blocks and tables. */
import { BlockBuilder } from './block-builder.js';
import { headingTitle, plainHeading } from './headings.js';
import type { Part } from './parts.js';
import { TabularProbe } from './tables.js';
import { isWhitespace } from './tokens.js';

const fenceOpening = /^ {0,3}(`{3,}|~{3,})/;
const fenceClosing = /^ {0,3}(`{3,}|~{3,})[ \t]*$/;
const atxHeading = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const setextUnderline = /^ {0,3}(=+|-+)[ \t]*$/;

interface Run {
  start: number;
  end: number;
  firstLineEnd: number;
  lines: number;
  tabularLines: number;
  firstTabular: boolean;
  blanksBefore: number;
  /** Runs of two or more consecutive tabular lines inside a mostly prose run. */
  streaks: { start: number; end: number; lines: number }[];
  streak: { start: number; end: number; lines: number } | undefined;
}

/** Turns lines (offsets into the text, never copied) into blocks; `blocks` is drained by the caller. */
class BlockScanner {
  readonly blocks: Part[];
  private run: Run | undefined;
  private fence: { marker: string; start: number } | undefined;
  private blanks = 0;
  private readonly tabular: TabularProbe;
  private readonly builder: BlockBuilder;

  constructor(
    private readonly text: string,
    tableGroupTokens: number,
  ) {
    this.tabular = new TabularProbe(text);
    this.builder = new BlockBuilder(text, tableGroupTokens);
    this.blocks = this.builder.blocks;
  }

  line(start: number, end: number): void {
    const text = this.text;
    let first = start;
    while (first < end && isWhitespace(text.charCodeAt(first))) first++;
    const code = first < end ? text.charCodeAt(first) : -1;
    if (this.fence) {
      if (code === this.fence.marker.charCodeAt(0)) this.closeFence(text.slice(start, end), end);
      return;
    }
    if (code < 0) {
      this.flushRun();
      this.blanks++;
      return;
    }
    if ((code === 96 || code === 126) && this.openFence(text.slice(start, end), start)) return;
    if (code === 35) {
      const line = text.slice(start, end);
      const atx = atxHeading.exec(line);
      if (atx?.[2]) {
        this.flushRun();
        this.builder.heading(atx[1]!.length, headingTitle(atx[2]), start, end);
        return;
      }
    }
    // Setext: a single unindented line of words underlined with === or --- (not a formula or a table row).
    const run = this.run;
    if ((code === 61 || code === 45) && run?.lines === 1 && !run.firstTabular && /^\p{L}/u.test(text.slice(run.start, run.start + 2))) {
      const underline = setextUnderline.exec(text.slice(start, end));
      if (underline) {
        this.run = undefined;
        this.builder.heading(underline[1]![0] === '=' ? 1 : 2, headingTitle(text.slice(run.start, run.firstLineEnd)), run.start, end);
        return;
      }
    }
    this.addLine(start, first, end);
  }

  /**
   * Ends the text. A fence never closed is not a code block (it would swallow the rest of the
   * document): its offset is returned so the lines after it are scanned again as ordinary text.
   */
  finish(): number | undefined {
    const unclosed = this.fence;
    this.fence = undefined;
    if (unclosed) {
      const lineEnd = this.text.indexOf('\n', unclosed.start);
      this.addLine(unclosed.start, unclosed.start, lineEnd < 0 ? this.text.length : lineEnd);
      if (lineEnd >= 0) return lineEnd + 1;
    }
    this.flushRun();
    this.builder.flushTable();
    return undefined;
  }

  private openFence(line: string, start: number): boolean {
    const fence = fenceOpening.exec(line);
    if (!fence || (fence[1]![0] === '`' && line.slice(fence[0].length).includes('`'))) return false;
    this.flushRun();
    this.fence = { marker: fence[1]!, start };
    this.blanks = 0;
    return true;
  }

  private closeFence(line: string, end: number): void {
    const closing = fenceClosing.exec(line);
    if (!this.fence || !closing || closing[1]![0] !== this.fence.marker[0] || closing[1]!.length < this.fence.marker.length) return;
    this.builder.emit('code', this.fence.start, end);
    this.fence = undefined;
  }

  private addLine(start: number, first: number, end: number): void {
    const tabular = this.tabular.isTabular(start, first, end);
    const run = (this.run ??= { start, end, firstLineEnd: end, lines: 0, tabularLines: 0, firstTabular: tabular, blanksBefore: this.blanks, streaks: [], streak: undefined });
    this.blanks = 0;
    run.end = end;
    run.lines++;
    if (tabular) {
      run.tabularLines++;
      if (run.streak) {
        run.streak.end = end;
        run.streak.lines++;
      } else {
        run.streak = { start, end, lines: 1 };
      }
    } else if (run.streak) {
      if (run.streak.lines >= 2) run.streaks.push(run.streak);
      run.streak = undefined;
    }
  }

  private flushRun(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    if (run.streak && run.streak.lines >= 2) run.streaks.push(run.streak);
    if (run.lines === 1 && !run.firstTabular) {
      const heading = plainHeading(this.text.slice(run.start, run.end), run.blanksBefore, this.builder.afterTopHeading);
      if (heading) this.builder.heading(heading.rank, heading.title, run.start, run.end);
      else this.builder.paragraph(run.start, run.end);
      return;
    }
    if (run.tabularLines * 2 >= run.lines) {
      this.builder.addTable(run.start, run.end, run.blanksBefore);
      return;
    }
    let cursor = run.start;
    for (const streak of run.streaks) {
      if (streak.start > cursor) this.builder.paragraph(cursor, streak.start - 1);
      this.builder.addTable(streak.start, streak.end, 0);
      cursor = streak.end + 1;
    }
    if (cursor < run.end) this.builder.paragraph(cursor, run.end);
  }
}

export function* scanBlocks(text: string, tableGroupTokens: number): Generator<Part> {
  const scanner = new BlockScanner(text, tableGroupTokens);
  for (let from: number | undefined = 0; from !== undefined; from = scanner.finish()) {
    for (let start = from; start < text.length; ) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      scanner.line(start, end);
      if (scanner.blocks.length > 0) {
        yield* scanner.blocks;
        scanner.blocks.length = 0;
      }
      start = end + 1;
    }
  }
  yield* scanner.blocks;
}
