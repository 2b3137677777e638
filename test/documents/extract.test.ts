import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/documents/extract.js';
import type { DocumentBlock } from '../../src/documents/model.js';
import { chunkBlocks, chunkDocument } from '../../src/pipelines/distill/chunker.js';
import { corpusDir } from '../helpers.js';
import { guideFacts, leaseDocx, noticeHtml, tenancyGuidePdf, termsEpub } from './fixtures.js';

async function extract(data: Uint8Array, name: string) {
  const extraction = extractDocument(data, name);
  const blocks: DocumentBlock[] = [];
  for await (const block of extraction.blocks) blocks.push(block);
  return { blocks, report: extraction.report };
}

const headings = (blocks: DocumentBlock[]) => blocks.filter((block) => block.kind === 'heading').map((block) => block.text);

describe('PDF', () => {
  it('finds the headings with their paths and pages, and drops running headers and page numbers', async () => {
    const { blocks, report } = await extract(await tenancyGuidePdf(), 'tenancy_guide.pdf');
    expect(report.type).toBe('pdf');
    expect(report.pages).toBe(3);
    expect(headings(blocks)).toEqual(guideFacts.headings);
    expect(blocks.find((block) => block.text === 'Deposits')?.path).toEqual(['Part II', 'Tenancy', 'Deposits']);
    const all = blocks.map((block) => block.text).join('\n');
    expect(all).not.toContain(guideFacts.runningHeader);
    expect(all).not.toMatch(/Page \d of 3/);
    // Three headers and three footers.
    expect(report.boilerplateDropped).toBe(6);
    expect(blocks.find((block) => block.text === 'Repairs')?.page).toBe(3);
  });

  it('keeps the fee table whole across the page break as one Markdown table, its repeated header dropped', async () => {
    const { blocks } = await extract(await tenancyGuidePdf(), 'tenancy_guide.pdf');
    const tables = blocks.filter((block) => block.kind === 'table');
    expect(tables).toHaveLength(1);
    const table = tables[0]!;
    expect({ page: table.page, pageEnd: table.pageEnd }).toEqual({ page: 2, pageEnd: 3 });
    const rows = table.text.split('\n');
    expect(rows[0]).toBe(guideFacts.tableHeader);
    expect(rows[1]).toBe('| --- | --- | --- |');
    expect(rows.slice(2)).toHaveLength(guideFacts.tableRows);
    expect(rows[2]).toBe('| Fee item 1 | £10 | Landlord |');
    expect(rows.filter((row) => row === guideFacts.tableHeader)).toHaveLength(1);
  });

  it('keeps a bullet list as a list', async () => {
    const { blocks } = await extract(await tenancyGuidePdf(), 'tenancy_guide.pdf');
    const list = blocks.find((block) => block.kind === 'list');
    expect(list?.text).toBe('- The deposit is returned within 10 days of agreeing the amount.\n- Disputes go to the scheme’s free adjudication service.');
  });

  it('chunks carry page and pages, and the table stays in one chunk', async () => {
    const extraction = extractDocument(await tenancyGuidePdf(), 'tenancy_guide.pdf');
    const chunks = [];
    for await (const chunk of chunkBlocks(extraction.blocks, { chunkTokens: 300, overlapTokens: 30 })) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) {
      expect(chunk.page).toBe(chunk.pages![0]);
      expect(chunk.pages!.every((page) => page >= 1 && page <= 3)).toBe(true);
    }
    const withTable = chunks.filter((chunk) => chunk.text.includes('| Fee item'));
    expect(withTable).toHaveLength(1);
    expect(withTable[0]!.text).toContain(`${guideFacts.tableHeader}\n| --- | --- | --- |`);
    expect(withTable[0]!.text).toContain('| Fee item 20 | £200 | Tenant |');
    expect(withTable[0]!.pages).toEqual(expect.arrayContaining([2, 3]));
    expect(withTable[0]!.headings).toEqual(['Part II', 'Tenancy', 'Fees']);
  });
});

describe('DOCX', () => {
  it('reads Word headings, lists and tables', async () => {
    const { blocks, report } = await extract(await leaseDocx(), 'lease.docx');
    expect(report.type).toBe('docx');
    expect(headings(blocks)).toEqual(['Residential Lease', 'Rent', 'Charges']);
    expect(blocks.find((block) => block.kind === 'list')?.text).toBe('- Pets are allowed with written consent.\n- Smoking is not allowed indoors.');
    const table = blocks.find((block) => block.kind === 'table');
    expect(table?.text).toBe('| Charge | Amount |\n| --- | --- |\n| Late rent | £25 |\n| Lost key | £40 |');
    expect(table?.path).toEqual(['Residential Lease', 'Charges']);
  });
});

describe('HTML', () => {
  it('keeps the article and drops navigation, header, footer and scripts without running them', async () => {
    const { blocks, report } = await extract(new TextEncoder().encode(noticeHtml), 'notice.html');
    const all = blocks.map((block) => block.text).join('\n');
    expect(report.type).toBe('html');
    expect(headings(blocks)).toEqual(['Notice to Quit', 'What the notice must say']);
    expect(blocks.find((block) => block.text === 'What the notice must say')?.path).toEqual(['Notice to Quit', 'What the notice must say']);
    for (const left of ['About us', 'Site banner', 'Copyright 2026', 'INJECTED', 'pwned', 'body{}']) expect(all).not.toContain(left);
    expect((globalThis as { pwned?: boolean }).pwned).toBeUndefined();
    expect(blocks.find((block) => block.kind === 'table')?.text).toBe('| Tenancy | Notice |\n| --- | --- |\n| Weekly | 4 weeks |\n| Monthly | 1 month |');
    expect(blocks.find((block) => block.kind === 'list')?.text).toBe('- The address of the property.\n- The date the tenancy ends.');
  });
});

describe('EPUB', () => {
  it('reads the chapters in spine order and leaves out the table of contents', async () => {
    const { blocks, report } = await extract(termsEpub(), 'terms.epub');
    expect(report.type).toBe('epub');
    expect(report.sections).toBe(2);
    expect(headings(blocks)).toEqual(['Terms of Occupation', 'Ending the Agreement']);
    expect(blocks.map((block) => block.text).join('\n')).not.toContain('Contents');
    expect(blocks.find((block) => block.kind === 'list')?.text).toBe('1. Give notice in writing.\n2. Return the keys.');
  });
});

describe('text', () => {
  it('chunks a text document exactly as chunkDocument does', async () => {
    const data = await readFile(path.join(corpusDir, 'legal_guide.txt'));
    const extraction = extractDocument(data, 'legal_guide.txt');
    const fromBlocks = [];
    for await (const chunk of chunkBlocks(extraction.blocks)) fromBlocks.push(chunk);
    expect(fromBlocks).toEqual([...chunkDocument(data.toString('utf8'))]);
  });

  it('cuts a Project Gutenberg header and licence', async () => {
    const book = 'The Project Gutenberg eBook of Rules\n\n*** START OF THE PROJECT GUTENBERG EBOOK RULES ***\n\nChapter one text.\n\n*** END OF THE PROJECT GUTENBERG EBOOK RULES ***\n\nSection 1. General Terms of Use and Redistributing Project Gutenberg electronic works\n';
    const { blocks, report } = await extract(new TextEncoder().encode(book), 'rules.txt');
    expect(blocks.map((block) => block.text.trim())).toEqual(['Chapter one text.']);
    expect(report.boilerplateDropped).toBeGreaterThan(0);
  });

  it('reads a DOCX named .pdf as DOCX and says so', async () => {
    const { report, blocks } = await extract(await leaseDocx(), 'lease.pdf');
    expect(report.type).toBe('docx');
    expect(report.warnings.join(' ')).toMatch(/lease\.pdf is named \.pdf but its content is DOCX/);
    expect(blocks.length).toBeGreaterThan(3);
  });
});
