const mb = () => { const m = process.memoryUsage(); return `rss ${Math.round(m.rss/1048576)} heap ${Math.round(m.heapUsed/1048576)}`; };
console.log('start', mb());
const which = process.argv[2];
const { getDocument } = await import(which);
globalThis.gc?.();
console.log('module', mb());
const { readFileSync } = await import('node:fs');
const doc = await getDocument({ data: new Uint8Array(readFileSync('/tmp/i17-bench/large.pdf')), isEvalSupported: false, disableFontFace: true, verbosity: 0 }).promise;
globalThis.gc?.();
console.log('open large', mb());
for (let i = 1; i <= 1200; i++) { const p = await doc.getPage(i); await p.getTextContent(); p.cleanup(); if (i % 100 === 0) await doc.cleanup(); if (i % 400 === 0) { globalThis.gc?.(); console.log(i, mb()); } }
globalThis.gc?.();
console.log('400 pages', mb());
