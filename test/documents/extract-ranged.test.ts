import { describe, expect, it } from 'vitest';
import { extractDocument, extractRanged } from '../../src/documents/extract.js';
import type { DocumentBlock, RangedDocument } from '../../src/documents/model.js';
import { leaseDocx, tenancyGuidePdf } from './fixtures.js';

/** The bytes as a ranged document; reads past `failFrom` (after the head and tail) fail as a vanished disk would. */
function ranged(data: Uint8Array, failFrom = Infinity): RangedDocument & { ranges: number } {
  const document = {
    bytes: data.length,
    ranges: 0,
    async read(offset: number, length: number) {
      document.ranges++;
      if (document.ranges > failFrom) throw new Error('EIO: the disk went away');
      return data.slice(offset, offset + length);
    },
  };
  return document;
}

async function all(blocks: AsyncGenerator<DocumentBlock>): Promise<DocumentBlock[]> {
  const read: DocumentBlock[] = [];
  for await (const block of blocks) read.push(block);
  return read;
}

describe('extractRanged', () => {
  it('gives a PDF read in ranges the same blocks and report as its bytes', async () => {
    const pdf = await tenancyGuidePdf();
    const whole = extractDocument(pdf.slice(), 'tenancy_guide.pdf');
    const wholeBlocks = await all(whole.blocks);
    const source = ranged(pdf);
    const inRanges = await extractRanged(source, 'tenancy_guide.pdf');
    expect(await all(inRanges.blocks)).toEqual(wholeBlocks);
    expect(inRanges.report).toEqual(whole.report);
    expect(wholeBlocks.length).toBeGreaterThan(3);
  });

  it('reads other formats whole, with the same result', async () => {
    const docx = await leaseDocx();
    const inRanges = await extractRanged(ranged(docx), 'lease.docx');
    expect(await all(inRanges.blocks)).toEqual(await all(extractDocument(docx, 'lease.docx').blocks));
  });

  it('throws a failed read instead of waiting for it or reading blanks', async () => {
    // The head and the tail read, then every range pdf.js asks for fails.
    const extraction = extractRanged(ranged(await tenancyGuidePdf(), 2), 'tenancy_guide.pdf');
    await expect(extraction.then((started) => all(started.blocks))).rejects.toThrow('EIO: the disk went away');
  });
});
