/** list_documents: the .txt and .md files Distillery may read, with an estimated cost to distill. */
import { z } from 'zod';
import { listDocuments } from '../files/documents.js';
import { usd } from '../util/format.js';
import { defineTool } from './define.js';

/**
 * Dollars per MiB of text for a default distillation: the dry-run estimates of the three sample
 * documents at the default models and 2026-11-26 prices came to $0.67-0.78 per MiB. A rough guide
 * only: distill_file with dry_run: true gives the real figure from the document's own chunks.
 */
const roughUsdPerMegabyte = 0.75;

export const listDocumentsTool = defineTool({
  name: 'list_documents',
  title: 'List documents',
  description: 'Lists the .txt and .md documents inside the allowed folders, with size and a rough cost to distill each. Use it when the user names a document loosely or asks what can be distilled. Free.',
  input: z.object({ limit: z.int().min(1).max(500).optional().describe('At most this many documents (default 50).') }),
  output: z.object({
    roots: z.array(z.string()),
    documents: z.array(z.object({ name: z.string(), relative: z.string(), root: z.string(), bytes: z.number(), rough_cost_usd: z.number() })),
    truncated: z.boolean(),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handle(input, { roots }) {
    const allowed = await roots();
    const listing = await listDocuments(allowed, { limit: input.limit ?? 50 });
    const documents = listing.documents.map((doc) => ({ name: doc.relative.split(/[\\/]/).pop() ?? doc.relative, relative: doc.relative, root: doc.root, bytes: doc.bytes, rough_cost_usd: (doc.bytes / 1_048_576) * roughUsdPerMegabyte }));
    const lines = documents.map((doc) => `- ${doc.relative} (${Math.max(1, Math.round(doc.bytes / 1024))} KB, about ${usd(doc.rough_cost_usd)} to distill)`);
    const text = documents.length
      ? `${documents.length} document${documents.length === 1 ? '' : 's'} in ${allowed.join(', ')}:\n${lines.join('\n')}${listing.truncated ? '\n(More exist; raise limit.)' : ''}\nUse distill_file with dry_run: true for an exact estimate.`
      : `No .txt or .md documents in ${allowed.join(', ')}. Put documents there or add their folder to DISTILLERY_ROOTS.`;
    return { text, structured: { roots: allowed, documents, truncated: listing.truncated } };
  },
});
