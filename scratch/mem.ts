import { readFileSync } from 'node:fs';
const mb = () => { const m = process.memoryUsage(); return `rss ${Math.round(m.rss/1048576)} heap ${Math.round(m.heapUsed/1048576)} ext ${Math.round(m.external/1048576)} ab ${Math.round(m.arrayBuffers/1048576)}`; };
console.log('start', mb());
const { extractDocument } = await import('../src/documents/extract.js');
const { chunkBlocks } = await import('../src/pipelines/distill/chunker.js');
console.log('modules', mb());
const data = readFileSync('/tmp/i17-bench/large.pdf');
console.log('read', mb());
const x = extractDocument(data, 'large.pdf');
let n = 0;
for await (const c of chunkBlocks(x.blocks)) { if (++n % 500 === 1) console.log('chunk', n, c.page, mb()); }
console.log('end', mb());
