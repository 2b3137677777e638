/**
 * list_documents: the documents Distillery may read, each extracted and chunked as distill_file
 * would (free, local), with its type, pages or sections, words, exact cost estimate and warnings.
 */
import { z } from 'zod';
import { listDocuments } from '../files/documents.js';
import { DistilleryError } from '../errors.js';
import { defaultChunkOptions } from '../pipelines/distill/chunker.js';
import { estimateDistill } from '../pipelines/distill/estimate.js';
import { describeSource, readSource } from '../pipelines/distill/inputs.js';
import type { Services } from '../services.js';
import type { DocumentRef } from '../files/documents.js';
import { usd } from '../util/format.js';
import { defineTool } from './define.js';

const documentRow = z.object({
  name: z.string(),
  relative: z.string(),
  root: z.string(),
  bytes: z.number(),
  type: z.string().nullable(),
  pages: z.number().nullable(),
  sections: z.number().nullable(),
  words: z.number().nullable(),
  chunks: z.number().nullable(),
  cost_usd: z.number().nullable().describe('Expected cost of distill_file at the defaults: token counts of its chunks and prompts times the price table.'),
  warnings: z.array(z.string()),
});
type DocumentRow = z.infer<typeof documentRow>;

export const listDocumentsTool = defineTool({
  name: 'list_documents',
  title: 'List documents',
  description:
    'Lists the documents (PDF, DOCX, HTML, EPUB, .txt, .md) inside the allowed folders: each with its type, pages or sections, extracted words, ' +
    'the cost to distill it at the defaults, and warnings where extraction is poor (a scanned PDF with no text layer, an encrypted file, mostly tables). ' +
    'Use it when the user names a document loosely or asks what can be distilled. Free.',
  input: z.object({ limit: z.int().min(1).max(500).optional().describe('At most this many documents (default 50).') }),
  output: z.object({ roots: z.array(z.string()), documents: z.array(documentRow), truncated: z.boolean() }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handle(input, { app, roots }) {
    const allowed = await roots();
    const listing = await listDocuments(allowed, { limit: input.limit ?? 50 });
    const documents: DocumentRow[] = [];
    const lines: string[] = [];
    for (const ref of listing.documents) {
      const described = await describeDocument(app.services, ref);
      documents.push(described.row);
      lines.push(described.line);
    }
    const text = documents.length
      ? `${documents.length} document${documents.length === 1 ? '' : 's'} in ${allowed.join(', ')}:\n${lines.join('\n')}${listing.truncated ? '\n(More exist; raise limit.)' : ''}\nUse distill_file with dry_run: true to see the first chunks.`
      : `No documents (PDF, DOCX, HTML, EPUB, .txt, .md) in ${allowed.join(', ')}. Put documents there or add their folder to DISTILLERY_ROOTS.`;
    return { text, structured: { roots: allowed, documents, truncated: listing.truncated } };
  },
});

/** Extracts and chunks the document to price it; one that cannot be read is listed with the reason as its warning. */
async function describeDocument(services: Services, ref: DocumentRef): Promise<{ row: DocumentRow; line: string }> {
  const row: DocumentRow = { name: ref.relative.split(/[\\/]/).pop() ?? ref.relative, relative: ref.relative, root: ref.root, bytes: ref.bytes, type: null, pages: null, sections: null, words: null, chunks: null, cost_usd: null, warnings: [] };
  const size = `${Math.max(1, Math.round(ref.bytes / 1024))} KB`;
  try {
    const source = await readSource(ref, services.config.maxFileBytes, defaultChunkOptions);
    const { report } = source;
    const cost = estimateDistill(services, source.chunks, undefined).costUsd.expected;
    const warnings = report.warnings.length > 0 ? ` Warning: ${report.warnings.join(' ')}` : '';
    return {
      row: { ...row, type: report.type, pages: report.pages ?? null, sections: report.sections, words: report.words, chunks: source.chunks.length, cost_usd: cost, warnings: report.warnings },
      line: `- ${ref.relative} (${size}, about ${usd(cost)} to distill; ${describeSource(report)}, ${source.chunks.length} chunk${source.chunks.length === 1 ? '' : 's'})${warnings}`,
    };
  } catch (error) {
    if (!(error instanceof DistilleryError)) throw error;
    return { row: { ...row, warnings: [error.message] }, line: `- ${ref.relative} (${size}): cannot be distilled. ${error.message}` };
  }
}
