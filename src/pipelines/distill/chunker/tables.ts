/** Table-row detection for plain-text documents. */

/**
 * Looks like a table row: a pipe, columns aligned by a tab or 3+ spaces, a rule such as +----+ or
 * =====, or dotted leaders. One pass over the characters: this runs on every line.
 */
function isTabularLine(text: string, start: number, end: number): boolean {
  let seenText = false;
  let spaces = 0;
  let dots = 0;
  let ruleCharacters = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === 124) return true;
    if (code === 32 || code === 9) {
      spaces += code === 9 ? 3 : 1;
      continue;
    }
    if (spaces >= 3 && seenText) return true;
    spaces = 0;
    if (code === 46) {
      if (++dots >= 4) return true;
    } else {
      dots = 0;
    }
    // - = + _ * : a line made only of these is a rule.
    if (code === 45 || code === 61 || code === 43 || code === 95 || code === 42) ruleCharacters++;
    else if (code !== 13) ruleCharacters = -Infinity;
    seenText = true;
  }
  return ruleCharacters >= 3 || (end - start >= 6 && text.slice(start, end).includes('. . . '));
}

/**
 * Finds tabular lines without reading every character of every line: it keeps the next position of
 * each telltale string (native indexOf, amortised over the whole text) and reads a line only when
 * one of them falls inside it, or the line starts like a rule.
 */
export class TabularProbe {
  private readonly needles = ['|', '\t', '   ', '....', '. . . '];
  private readonly next = this.needles.map(() => -2);

  constructor(private readonly text: string) {}

  isTabular(start: number, first: number, end: number): boolean {
    const code = this.text.charCodeAt(first);
    if (code === 45 || code === 61 || code === 43 || code === 95 || code === 42) return isTabularLine(this.text, start, end);
    for (let i = 0; i < this.needles.length; i++) {
      let position = this.next[i]!;
      if (position !== -1 && position < first) position = this.next[i] = this.text.indexOf(this.needles[i]!, first);
      if (position !== -1 && position < end) return isTabularLine(this.text, start, end);
    }
    return false;
  }
}
