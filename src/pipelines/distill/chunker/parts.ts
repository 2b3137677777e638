/** Parts (blocks and pieces of blocks) and the exact token count of parts joined by blank lines. */
import { countTokens } from './tokens.js';

export type BlockKind = 'text' | 'note' | 'heading' | 'code' | 'table';

export interface Part {
  kind: BlockKind | 'fragment' | 'overlap';
  text: string;
  tokens: number;
  /** Heading path in force for this part, its own heading included. */
  path: readonly string[];
  /** Rank of the heading that starts here (1 is the top), 0 when none. */
  headingRank: number;
  /** First and last page of a paged document that this part came from. */
  page?: number;
  pageEnd?: number;
  /** Cached exact tokens of a blank line after this part. */
  breakTokens?: number;
  /** For a piece of a block too big for one chunk: the block, and where in its text the piece lies. */
  origin?: Part;
  originStart?: number;
  originEnd?: number;
}

export const blockBreak = '\n\n';
let blockBreakTokens: number | undefined;

/**
 * Exact extra tokens when `left` (no trailing whitespace) is followed by a blank line and text that
 * does not start with '/'. Only the last pre-token of `left` can change (punctuation swallows the
 * newlines, even across lines as in "x/\n/"), so the count is redone from the last place where a
 * letter or digit meets a space: pre-tokens always break there.
 */
function breakTokensAfter(left: string): number {
  const last = left.charCodeAt(left.length - 1);
  if (isAsciiAlphanumeric(last)) return (blockBreakTokens ??= countTokens(blockBreak));
  // The commonest ending, "word." or "word)": the last pre-token is that one ASCII character.
  if (last < 128 && isAsciiAlphanumeric(left.charCodeAt(left.length - 2))) {
    let extra = breakTokensAfterCharacter[last]!;
    if (extra < 0) extra = breakTokensAfterCharacter[last] = countTokens(`${String.fromCharCode(last)}${blockBreak}`) - 1;
    return extra;
  }
  let boundary = left.length - 1;
  while (boundary > 0 && !((left.charCodeAt(boundary) === 32 || left.charCodeAt(boundary) === 9) && isAsciiAlphanumeric(left.charCodeAt(boundary - 1)))) boundary--;
  const tail = boundary > 0 ? left.slice(boundary) : left;
  return countTokens(tail + blockBreak) - countTokens(tail);
}

const breakTokensAfterCharacter = new Int8Array(128).fill(-1);

function isAsciiAlphanumeric(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** Exact tokens of the parts joined by blank lines. */
export function tokensOfParts(parts: readonly Part[]): number {
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i === 0) total = part.tokens;
    else if (slashJoin(parts[i - 1]!, part)) return countTokens(joinParts(parts));
    else total += breakAfter(parts[i - 1]!) + part.tokens;
  }
  return total;
}

/**
 * Punctuation before a blank line also swallows the slashes that start the next block ("x.\n\n/usr"),
 * which changes how that block and perhaps the next join are counted: such joins are counted in full.
 */
export function slashJoin(left: Part, right: Part): boolean {
  return right.text.charCodeAt(0) === 47 || left.text.charCodeAt(0) === 47;
}

export function breakAfter(part: Part): number {
  return (part.breakTokens ??= breakTokensAfter(part.text));
}

export function joinParts(parts: readonly Part[]): string {
  return parts.map((part) => part.text).join(blockBreak);
}

export const splittable = new Set<Part['kind']>(['text', 'note', 'fragment']);

/** A piece of `block` (itself perhaps a piece) at [start, end) of the original block's text. */
export function fragmentOf(block: Part, text: string, tokens: number, start: number, end: number): Part {
  return { kind: 'fragment', text, tokens, path: block.path, headingRank: 0, page: block.page, pageEnd: block.pageEnd, origin: block.origin ?? block, originStart: start, originEnd: end };
}

export function isMajorHeading(part: Part): boolean {
  return part.headingRank === 1 || part.headingRank === 2;
}
