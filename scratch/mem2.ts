import { readFileSync } from 'node:fs';
const mb = () => { const m = process.memoryUsage(); return `rss ${Math.round(m.rss/1048576)} heap ${Math.round(m.heapUsed/1048576)} ab ${Math.round(m.arrayBuffers/1048576)}`; };
const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
const data = readFileSync('/tmp/i17-bench/large.pdf');
console.log('read', mb());
const doc = await getDocument({ data: new Uint8Array(data), isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
console.log('open', mb(), doc.numPages);
for (let i = 1; i <= 600; i++) {
  const p = await doc.getPage(i); await p.getTextContent(); p.cleanup();
  if (i % 200 === 0) { (globalThis as any).gc?.(); console.log('page', i, mb()); }
}
