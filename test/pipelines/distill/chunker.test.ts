import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { countTokens as libraryCountTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { beforeAll, describe, expect, it } from 'vitest';
import { findCorpusDirectory } from '../../../bench/chunking.js';
import { InputError } from '../../../src/errors.js';
import { chunkDocument, countTokens, defaultChunkOptions, type Chunk, type ChunkOptions } from '../../../src/pipelines/distill/chunker.js';

const plainText = { disallowedSpecial: new Set<string>() };
const exact = (text: string): number => libraryCountTokens(text, plainText);
const corpus: Record<string, string> = {};

beforeAll(async () => {
  const folder = findCorpusDirectory();
  for (const name of ['legal_guide', 'medical_manual', 'technical_manual']) corpus[name] = await readFile(path.join(folder, `${name}.txt`), 'utf8');
});

function chunksOf(text: string, options: ChunkOptions = defaultChunkOptions): Chunk[] {
  return [...chunkDocument(text, options)];
}

/** The biggest blank-line-separated block or fenced code block of a chunk, in tokens. */
function biggestIndivisible(text: string): number {
  const fenced = [...text.matchAll(/^```[^\n]*\n[\s\S]*?\n```$/gm)].map((match) => exact(match[0]));
  const blocks = text.split('\n\n').map((block) => exact(block));
  return Math.max(0, ...fenced, ...blocks);
}

/** Checks that hold for every chunking: exact counts, the size limit, dense indexes, unique hashes, every word kept. */
function expectWellFormed(text: string, chunks: Chunk[], options: ChunkOptions): void {
  expect(chunks.length).toBeGreaterThan(0);
  chunks.forEach((chunk, index) => {
    expect(chunk.index).toBe(index);
    expect(chunk.tokens).toBe(exact(chunk.text));
    expect(chunk.hash).toMatch(/^[0-9a-f]{16}$/);
    if (chunk.tokens > options.chunkTokens) expect(biggestIndivisible(chunk.text)).toBeGreaterThan(options.chunkTokens);
  });
  expect(new Set(chunks.map((chunk) => chunk.hash)).size).toBe(chunks.length);
  const kept = new Set(chunks.flatMap((chunk) => chunk.text.split(/\s+/)));
  const missing = text.split(/\s+/).filter((word) => word.length > 0 && !kept.has(word));
  expect(missing).toEqual([]);
}

/** The text that `next` repeats from the end of `previous`, if any (a prefix of next ending at a blank line, or all of it). */
function overlapBetween(previous: string, next: string): string | undefined {
  let found: string | undefined;
  for (let end = next.indexOf('\n\n'); end !== -1; end = next.indexOf('\n\n', end + 2)) {
    const prefix = next.slice(0, end);
    if (previous.endsWith(prefix)) found = prefix;
  }
  return found;
}

describe('chunkDocument on the sample corpus', () => {
  const optionSets: ChunkOptions[] = [defaultChunkOptions, { chunkTokens: 300, overlapTokens: 60 }, { chunkTokens: 64, overlapTokens: 16 }];

  it.each(['legal_guide', 'medical_manual', 'technical_manual'])('keeps every word of %s, with exact token counts and no chunk over the limit but a whole table', (name) => {
    for (const options of optionSets) expectWellFormed(corpus[name]!, chunksOf(corpus[name]!, options), options);
  });

  it('repeats up to overlapTokens of the previous chunk at the start of the next', () => {
    const options = { chunkTokens: 300, overlapTokens: 60 };
    const chunks = chunksOf(corpus.medical_manual!, options);
    const overlaps = chunks.slice(1).map((chunk, i) => overlapBetween(chunks[i]!.text, chunk.text)).filter((overlap) => overlap !== undefined);
    expect(overlaps.length).toBeGreaterThan(chunks.length / 2);
    for (const overlap of overlaps) expect(exact(overlap)).toBeLessThanOrEqual(options.overlapTokens);
  });

  it('gives legal_guide.txt heading paths of ARTICLE, its title and its section, a new ARTICLE resetting the sections', () => {
    const chunks = chunksOf(corpus.legal_guide!);
    const paths = chunks.map((chunk) => chunk.headings);
    expect(paths).toContainEqual(['ARTICLE I', 'DECLARATION OF RIGHTS']);
    expect(paths.some((headings) => headings[0] === 'ARTICLE I' && /^SEC\. \d+$/.test(headings[2] ?? ''))).toBe(true);
    expect(paths).toContainEqual(['ARTICLE II', 'LEGISLATIVE DEPARTMENT', 'SECTION 1']);
    for (const headings of paths) {
      expect(headings.filter((heading) => heading.startsWith('ARTICLE')).length).toBeLessThanOrEqual(1);
      expect(headings.some((heading) => heading.includes('Sidenote') || heading.includes('Illustration') || heading.startsWith('['))).toBe(false);
    }
    // Every ARTICLE starts its own chunk, with its heading in the text.
    for (const article of ['ARTICLE III.', 'ARTICLE XII.']) expect(chunks.some((chunk) => chunk.text.startsWith(article))).toBe(true);
  });

  it('finds the numbered chapters of medical_manual.txt and the chapters and sections of technical_manual.txt', () => {
    const medical = chunksOf(corpus.medical_manual!).map((chunk) => chunk.headings[0]);
    expect(medical).toContain('I. VENTILATION AND WARMING');
    expect(medical).toContain('XIII. OBSERVATION OF THE SICK');
    const technical = chunksOf(corpus.technical_manual!).map((chunk) => chunk.headings);
    expect(technical).toContainEqual(['CHAPTER II', 'RATING AND GENERAL PROPORTIONS OF STEAM ENGINES']);
    expect(technical.some((headings) => headings[0] === 'CHAPTER I' && headings[2] === 'Work Diagram')).toBe(true);
  });

  it('never splits an ASCII table of technical_manual.txt or the ballot of legal_guide.txt', () => {
    for (const [name, options] of [['technical_manual', { chunkTokens: 200, overlapTokens: 40 }], ['legal_guide', { chunkTokens: 300, overlapTokens: 40 }]] as const) {
      const tables = [...corpus[name]!.matchAll(/(?:^[ \t]*[+|=][^\n]*\n)+/gm)].map((match) => match[0].trimEnd()).filter((table) => table.split('\n').length >= 3);
      expect(tables.length).toBeGreaterThan(1);
      const chunks = chunksOf(corpus[name]!, options);
      for (const table of tables) expect(chunks.some((chunk) => chunk.text.includes(table))).toBe(true);
    }
  });

  it('is deterministic', () => {
    expect(chunksOf(corpus.technical_manual!)).toEqual(chunksOf(corpus.technical_manual!));
  });
});

describe('chunkDocument on markdown', () => {
  const sentences = (count: number, topic: string): string => Array.from({ length: count }, (_, i) => `The ${topic} note ${i} explains one more detail about ${topic}.`).join(' ');
  const code = ['```bash', 'npm install thing', '', '# not a heading: a shell comment', 'npm run build', '```'].join('\n');
  const table = ['| name | default |', '|------|---------|', '| alpha | 1 |', '| beta | 2 |'].join('\n');
  const markdown = [
    '# Guide', sentences(3, 'intro'),
    '## Install', sentences(18, 'install'), code, sentences(8, 'build'),
    '### Options', table, sentences(20, 'options'),
    'Usage', '=====', sentences(6, 'usage'),
    'Details', '-------', sentences(30, 'details'),
  ].join('\n\n').replace('Usage\n\n=====', 'Usage\n=====').replace('Details\n\n-------', 'Details\n-------');
  const options = { chunkTokens: 200, overlapTokens: 30 };

  it('gives each chunk the heading path of its text (#, ## and ###, and setext === and ---)', () => {
    const chunks = chunksOf(markdown, options);
    expectWellFormed(markdown, chunks, options);
    const pathOf = (needle: string): string[] | undefined => chunks.find((chunk) => chunk.text.includes(needle) && !chunk.text.startsWith(needle.slice(0, 8)))?.headings ?? chunks.find((chunk) => chunk.text.includes(needle))?.headings;
    expect(pathOf('The intro note 0')).toEqual(['Guide']);
    expect(pathOf('The install note 2 ')).toEqual(['Guide', 'Install']);
    expect(pathOf('The options note 15 ')).toEqual(['Guide', 'Install', 'Options']);
    expect(pathOf('The usage note 1 ')).toEqual(['Usage']);
    expect(pathOf('The details note 25 ')).toEqual(['Usage', 'Details']);
    expect(chunks.flatMap((chunk) => chunk.headings)).not.toContain('not a heading: a shell comment');
    // Overlap carried over from the build notes does not count as the new chunk's heading.
    const carried = chunks.find((chunk) => chunk.text.startsWith('The build note') && chunk.text.includes('### Options'));
    expect(carried?.headings).toEqual(['Guide', 'Install', 'Options']);
  });

  it('never splits a code block or a table', () => {
    for (const size of [64, 100, 200]) {
      const chunks = chunksOf(markdown, { chunkTokens: size, overlapTokens: 16 });
      expect(chunks.some((chunk) => chunk.text.includes(code))).toBe(true);
      expect(chunks.some((chunk) => chunk.text.includes(table))).toBe(true);
      for (const chunk of chunks) {
        expect(chunk.text.includes('```bash')).toBe(chunk.text.includes(code));
        expect(chunk.text.includes('| name | default |')).toBe(chunk.text.includes(table));
      }
    }
  });

  it('keeps a code block bigger than the limit whole, as its own chunk', () => {
    const bigCode = ['```js', ...Array.from({ length: 120 }, (_, i) => `const value${i} = compute(${i}); // step ${i}`), '```'].join('\n');
    const text = `# Code\n\n${sentences(5, 'before')}\n\n${bigCode}\n\n${sentences(5, 'after')}`;
    const chunks = chunksOf(text, options);
    expectWellFormed(text, chunks, options);
    const holder = chunks.find((chunk) => chunk.text.includes(bigCode));
    expect(holder!.tokens).toBeGreaterThan(options.chunkTokens);
    expect(holder!.text).toBe(bigCode);
  });

  it('drops exact duplicate chunks and keeps indexes dense', () => {
    const section = `## Repeated\n\n${sentences(12, 'repeated')}`;
    const text = [`# Title\n\n${sentences(4, 'opening')}`, section, section, section, `## End\n\n${sentences(4, 'closing')}`].join('\n\n');
    const chunks = chunksOf(text, options);
    expect(chunks.filter((chunk) => chunk.text === section)).toHaveLength(1);
    expect(chunks.map((chunk) => chunk.index)).toEqual(chunks.map((_, index) => index));
    expectWellFormed(text, chunks, options);
  });

  it('splits a paragraph with no sentence ends at whitespace, and a word longer than a chunk by characters', () => {
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
    const wordChunks = chunksOf(words, options);
    expectWellFormed(words, wordChunks, options);
    expect(Math.max(...wordChunks.map((chunk) => chunk.tokens))).toBeLessThanOrEqual(options.chunkTokens);
    // Not periodic, or identical pieces would be dropped as duplicates.
    const blob = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 104729).toString(36)).join('');
    const blobChunks = chunksOf(blob, options);
    expect(blobChunks.length).toBeGreaterThan(1);
    for (const chunk of blobChunks) {
      expect(chunk.tokens).toBe(exact(chunk.text));
      expect(chunk.tokens).toBeLessThanOrEqual(options.chunkTokens);
    }
    expect(blobChunks.map((chunk) => chunk.text).join('') === blob).toBe(true);
  });

  it('treats CRLF like LF and special-token strings as plain text', () => {
    const text = `# Notes\r\n\r\nIt ends with <|endoftext|> here.\r\nSecond line.\r\n`;
    const [chunk] = chunksOf(text, options);
    expect(chunk!.text).toBe('# Notes\n\nIt ends with <|endoftext|> here.\nSecond line.');
    expect(chunk!.tokens).toBe(exact(chunk!.text));
  });

  it('reads a fence that never closes as text, so it cannot swallow the rest of the document', () => {
    const text = `${sentences(4, 'start')}\n\n\`\`\`js\n${Array.from({ length: 30 }, (_, i) => sentences(3, `part ${i}`)).join('\n\n')}`;
    const chunks = chunksOf(text, options);
    expectWellFormed(text, chunks, options);
    expect(Math.max(...chunks.map((chunk) => chunk.tokens))).toBeLessThanOrEqual(options.chunkTokens);
  });

  it('refuses impossible options at once, saying what is allowed', () => {
    expect(() => chunkDocument('text', { chunkTokens: 10, overlapTokens: 0 })).toThrow(InputError);
    expect(() => chunkDocument('text', { chunkTokens: 1000, overlapTokens: 600 })).toThrow(/overlap_tokens must be a whole number from 0 to half of chunk_tokens \(500\)/);
  });
});

describe('token counts', () => {
  /** A small deterministic generator, so failures can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
  }
  const pieces = ['the', 'The', 'HTTP', 'McDonald', "it's", "WE'LL", 'naïve', 'ÉCOLE', '東京', '😀', '123456', '3.14', ' ', '  ', '\t', '\n', '\n\n', '\r\n', '.', '...', '—', '/', '//', '"', "'", '(', ')', '|', '+--+', '_x_', '<|endoftext|>', '\u00a0', 'e\u0301', '²'];

  it('countTokens equals gpt-tokenizer on the corpus and on random text', () => {
    for (const text of Object.values(corpus)) expect(countTokens(text)).toBe(exact(text));
    const next = random(7);
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: 1 + Math.floor(next() * 24) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
      expect(countTokens(text)).toBe(exact(text));
    }
  });

  it('chunk token counts stay exact on random documents of paragraphs, tables, code and odd punctuation', () => {
    const next = random(11);
    const sentence = (): string => `${Array.from({ length: 3 + Math.floor(next() * 12) }, () => pieces[Math.floor(next() * 12)]).join(' ')}${['.', '!', '?', '...', ':', '/', ')', '"', ''][Math.floor(next() * 9)]}`;
    const block = (): string => {
      const kind = next();
      if (kind < 0.08) return `| a | b |\n|---|---|\n| ${sentence()} | 1 |`;
      if (kind < 0.12) return `\`\`\`\n${sentence()}\n\n${sentence()}\n\`\`\``;
      if (kind < 0.14) return `\`\`\` ${sentence()}`; // a fence that may never close
      if (kind < 0.18) return `/path/${sentence()}`;
      if (kind < 0.22) return `## ${sentence()}`;
      if (kind < 0.25) return sentence().toUpperCase();
      if (kind < 0.28) return `[Sidenote: ${sentence()}]`;
      if (kind < 0.3) return Array.from({ length: 80 }, sentence).join(' ');
      return Array.from({ length: 1 + Math.floor(next() * 6) }, sentence).join(next() < 0.5 ? ' ' : '\n');
    };
    for (let doc = 0; doc < 40; doc++) {
      const text = Array.from({ length: 5 + Math.floor(next() * 30) }, block).join(next() < 0.5 ? '\n\n' : '\n\n\n');
      for (const options of [{ chunkTokens: 48, overlapTokens: 12 }, { chunkTokens: 160, overlapTokens: 40 }]) expectWellFormed(text, chunksOf(text, options), options);
    }
  });
});
