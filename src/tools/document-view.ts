/** How distill_file and list_documents show documents and chunks: what extraction found, and chunks as the model reads them. */
import { z } from 'zod';
import { placeLabel } from '../documents/model.js';
import { describeSource, type DistillSource, type SourceChunk } from '../pipelines/distill/inputs.js';

export const documentOutput = z.object({
  relative: z.string(),
  type: z.string(),
  pages: z.number().nullable(),
  sections: z.number(),
  words: z.number(),
  headings: z.number(),
  tables: z.number(),
  boilerplate_lines_dropped: z.number(),
  chunks: z.number(),
  warnings: z.array(z.string()),
});

export const chunkOutput = z.object({ file: z.string(), index: z.number(), heading_path: z.string(), page: z.number().nullable(), pages: z.array(z.number()).nullable(), tokens: z.number(), text: z.string() });

export function documentView(source: DistillSource): z.infer<typeof documentOutput> {
  const { report } = source;
  return {
    relative: source.name,
    type: report.type,
    pages: report.pages ?? null,
    sections: report.sections,
    words: report.words,
    headings: report.headings,
    tables: report.tables,
    boilerplate_lines_dropped: report.boilerplateDropped,
    chunks: source.chunks.length,
    warnings: report.warnings,
  };
}

const shownCharacters = 700;

export function chunkView(chunk: SourceChunk): z.infer<typeof chunkOutput> {
  const text = chunk.text.length > shownCharacters ? `${chunk.text.slice(0, shownCharacters)}…` : chunk.text;
  return { file: chunk.file, index: chunk.index, heading_path: chunk.heading_path, page: chunk.page ?? null, pages: chunk.pages ?? null, tokens: chunk.tokens, text };
}

/** "contracts/lease.docx (DOCX, 120 words): 1 chunk", one line per document. */
export function documentLines(sources: DistillSource[]): string[] {
  return sources.map((source) => `- ${source.name} (${describeSource(source.report)}): ${source.chunks.length} chunk${source.chunks.length === 1 ? '' : 's'}`);
}

export function firstChunksText(chunks: SourceChunk[]): string {
  if (chunks.length === 0) return '';
  const shown = chunks.map((chunk) => `--- chunk ${chunk.index} (${placeLabel(chunk.file, chunk.pages, chunk.headings)}; ${chunk.tokens} tokens)\n${chunkView(chunk).text}`);
  return `\nThe first ${chunks.length === 1 ? 'chunk' : `${chunks.length} chunks`} as extracted:\n${shown.join('\n')}`;
}
