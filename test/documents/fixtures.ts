/**
 * Documents made in test set-up with kept libraries (pdf-lib, docx, fflate), so no binary fixture is
 * checked in: a tenancy guide PDF with running heads and a table over a page break, a Word lease, a
 * web page with navigation and scripts, an EPUB, and hostile files (encrypted, scanned, truncated,
 * zip bomb, a liar).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { PDFDocument, PDFHexString, PDFName, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow } from 'docx';

export const guideFacts = {
  headings: ['Part II', 'Tenancy', 'Deposits', 'Fees', 'Repairs'],
  tableHeader: '| Fee | Amount | Who pays |',
  tableRows: 20,
  runningHeader: 'Tenancy Guide · Housing Advice Service',
};

interface Pen {
  page: PDFPage;
  y: number;
  number: number;
}

/** A three-page PDF: running header and "Page N of 3" footer on each page, headings in three sizes, a list, and a fee table whose rows run from page 2 onto page 3 (its header row repeated there). */
export async function tenancyGuidePdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const pages = 3;
  const pens: Pen[] = [];
  const newPage = () => {
    const page = doc.addPage([595, 842]);
    const number = pens.length + 1;
    page.drawText(guideFacts.runningHeader, { x: 50, y: 810, size: 9, font });
    page.drawText(`Page ${number} of ${pages}`, { x: 260, y: 30, size: 9, font });
    pens.push({ page, y: 770, number });
    return pens[pens.length - 1]!;
  };
  let pen = newPage();
  const heading = (text: string, size: number) => {
    pen.y -= size;
    pen.page.drawText(text, { x: 50, y: pen.y, size, font: bold });
    pen.y -= size * 0.8;
  };
  const paragraph = (lines: string[], f: PDFFont = font) => {
    for (const line of lines) {
      if (pen.y < 70) pen = newPage();
      pen.page.drawText(line, { x: 50, y: pen.y, size: 11, font: f });
      pen.y -= 14;
    }
    pen.y -= 10;
  };
  heading('Part II', 22);
  heading('Tenancy', 16);
  paragraph(['A tenancy is an agreement that lets a tenant live in a property owned by a landlord,', 'in return for rent paid at agreed intervals.']);
  heading('Deposits', 13);
  paragraph(['A landlord must protect a deposit in a government-backed scheme within 30 days', 'of receiving it and give the tenant the prescribed information.']);
  paragraph(['- The deposit is returned within 10 days of agreeing the amount.', '- Disputes go to the scheme’s free adjudication service.']);
  // Rules fill the pages up to where the fee table must start for it to run over onto page 3.
  for (let i = 0; !(pen.number === 2 && pen.y < 330); i++) paragraph([`Deposit rule ${i + 1}: the landlord keeps written records of the check-in inventory and its condition.`]);
  heading('Fees', 13);
  paragraph(['Only the following payments may be charged to a tenant:']);
  const row = (cells: string[], f: PDFFont = font) => {
    if (pen.y < 70) pen = newPage();
    if (pen.y === 770 && cells[0] !== 'Fee') row(['Fee', 'Amount', 'Who pays'], bold);
    cells.forEach((cell, column) => pen.page.drawText(cell, { x: 50 + column * 170, y: pen.y, size: 11, font: f }));
    pen.y -= 16;
  };
  row(['Fee', 'Amount', 'Who pays'], bold);
  for (let i = 0; i < guideFacts.tableRows; i++) row([`Fee item ${i + 1}`, `£${(i + 1) * 10}`, i % 2 ? 'Tenant' : 'Landlord']);
  pen.y -= 12;
  heading('Repairs', 13);
  paragraph(['The landlord is responsible for repairs to the structure and exterior of the property.']);
  while (pens.length < pages) newPage();
  return doc.save();
}

/** A PDF with a rectangle and no text: what a scanned page looks like to a text extractor. */
export async function scannedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  for (let i = 0; i < 2; i++) doc.addPage([595, 842]).drawRectangle({ x: 50, y: 50, width: 400, height: 600, color: rgb(0.5, 0.5, 0.5) });
  return doc.save();
}

/** A PDF whose trailer names a Standard security handler with a user password: it cannot be opened without it. */
export async function encryptedPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage().drawText('Secret tenancy terms.', { x: 50, y: 700, size: 12, font });
  const bytes = (seed: number) => PDFHexString.of(Array.from({ length: 32 }, (_, i) => ((i * 37 + seed) % 256).toString(16).padStart(2, '0')).join(''));
  const encrypt = doc.context.obj({ Filter: 'Standard', V: 1, R: 2, O: bytes(11), U: bytes(99), P: -44 });
  doc.context.trailerInfo.Encrypt = doc.context.register(encrypt);
  doc.context.trailerInfo.ID = doc.context.obj([bytes(5), bytes(5)]);
  return doc.save({ useObjectStreams: false });
}

export async function leaseDocx(): Promise<Uint8Array> {
  const cell = (text: string) => new TableCell({ children: [new Paragraph(text)] });
  const doc = new Document({
    sections: [{
      children: [
        new Paragraph({ text: 'Residential Lease', heading: HeadingLevel.HEADING_1 }),
        new Paragraph({ text: 'Rent', heading: HeadingLevel.HEADING_2 }),
        new Paragraph('The tenant pays rent of £950 on the first day of each month by bank transfer.'),
        new Paragraph({ text: 'Pets are allowed with written consent.', bullet: { level: 0 } }),
        new Paragraph({ text: 'Smoking is not allowed indoors.', bullet: { level: 0 } }),
        new Paragraph({ text: 'Charges', heading: HeadingLevel.HEADING_2 }),
        new Table({ rows: [new TableRow({ children: [cell('Charge'), cell('Amount')] }), new TableRow({ children: [cell('Late rent'), cell('£25')] }), new TableRow({ children: [cell('Lost key'), cell('£40')] })] }),
        new Paragraph('Charges are payable within fourteen days of a written demand.'),
      ],
    }],
  });
  return new Uint8Array(await Packer.toBuffer(doc));
}

export const noticeHtml = `<!doctype html><html><head><title>Notice to Quit</title><script>globalThis.pwned = true; fetch('http://example.invalid/')</script><style>body{}</style></head>
<body><nav><a href="/">Home</a> | <a href="/about">About us</a> | <a href="/contact">Contact</a></nav>
<header><p>Site banner for the tenants union</p></header>
<article><h1>Notice to Quit</h1><p>A notice to quit ends a periodic tenancy. It must be in writing and give at least four weeks of notice, ending on the first or last day of a period of the tenancy.</p>
<h2>What the notice must say</h2><ul><li>The address of the property.</li><li>The date the tenancy ends.</li></ul>
<table><tr><th>Tenancy</th><th>Notice</th></tr><tr><td>Weekly</td><td>4 weeks</td></tr><tr><td>Monthly</td><td>1 month</td></tr></table>
<p>A landlord who wants possession after the notice ends must apply to the court; changing the locks without an order is unlawful eviction.</p><script>document.write('<p>INJECTED SCRIPT TEXT</p>')</script></article>
<footer><p>Copyright 2026 Tenants Union. All rights reserved.</p></footer></body></html>`;

export function termsEpub(): Uint8Array {
  const chapter = (title: string, body: string) => strToU8(`<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`);
  return zipSync({
    mimetype: [strToU8('application/epub+zip'), { level: 0 }],
    'META-INF/container.xml': strToU8('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>'),
    'OEBPS/content.opf': strToU8('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest><item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/><item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/><item id="c2" href="two.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="nav" linear="no"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>'),
    'OEBPS/nav.xhtml': chapter('Contents', '<nav epub:type="toc"><ol><li><a href="one.xhtml">Terms</a></li><li><a href="two.xhtml">Ending</a></li></ol></nav>'),
    'OEBPS/one.xhtml': chapter('Terms of Occupation', '<p>The occupier may use the room as a home and must keep it clean and in good order.</p><table><tr><td>Term</td><td>Length</td></tr><tr><td>Fixed</td><td>6 months</td></tr></table>'),
    'OEBPS/two.xhtml': chapter('Ending the Agreement', '<p>Either party may end the agreement with one month of written notice.</p><ol><li>Give notice in writing.</li><li>Return the keys.</li></ol>'),
  });
}

/** A DOCX whose document.xml would inflate to 300 MB of zeros from a few hundred KB. */
export function zipBombDocx(): Uint8Array {
  return zipSync({ '[Content_Types].xml': strToU8('<Types/>'), 'word/document.xml': [new Uint8Array(300 * 1_048_576), { level: 9 }] });
}

/** Writes the folder a user would have: the guide, contracts/ with one document of each other kind. */
export async function writeDocumentFolder(root: string): Promise<void> {
  await mkdir(path.join(root, 'contracts'), { recursive: true });
  await writeFile(path.join(root, 'tenancy_guide.pdf'), await tenancyGuidePdf());
  await writeFile(path.join(root, 'contracts', 'lease.docx'), await leaseDocx());
  await writeFile(path.join(root, 'contracts', 'notice.html'), noticeHtml);
  await writeFile(path.join(root, 'contracts', 'terms.epub'), termsEpub());
}
