/** How review reads a sample's topic, source and rejection reason, whichever pipeline wrote it. */
import type { Sample } from '../pipelines/sample.js';
import { placeLabel } from '../documents/model.js';

export function topicOf(sample: Sample): string {
  if (typeof sample.topic === 'string') return sample.topic;
  if (typeof sample.source?.topic === 'string') return sample.source.topic;
  return sample.source?.headings?.[0] ?? '';
}

export function sourceOf(sample: Sample): string {
  const source = sample.source ?? {};
  for (const key of ['file', 'domain', 'template', 'pipeline'] as const) if (typeof source[key] === 'string') return source[key] as string;
  return '';
}

/** Where a document's sample comes from, as a person cites it: "tenancy_guide.pdf, p. 14, Part II > Deposits"; empty for generated samples. */
export function locationOf(sample: Sample): string {
  const source = sample.source ?? {};
  if (typeof source.file !== 'string') return '';
  const pages = Array.isArray(source.pages) ? (source.pages as number[]) : typeof source.page === 'number' ? [source.page] : undefined;
  return placeLabel(source.file, pages, source.headings ?? []);
}

/** A short label for why a sample was rejected, so reasons can be counted and filtered. */
export function rejectionCategory(sample: Sample): string {
  if (typeof sample.rejection_reason === 'string') return sample.rejection_reason;
  const reason = sample.review?.reason ?? '';
  if (sample.review?.by === 'filter') return reason.split(/[.:](\s|$)/)[0]!.trim().slice(0, 100) || 'filtered';
  if (/below min_score/i.test(reason)) {
    const criteria = Object.entries(sample.scores ?? {}).filter(([name, value]) => name !== 'overall' && typeof value === 'number');
    criteria.sort((a, b) => a[1] - b[1]);
    const lowest = criteria[0];
    // Name the weakest criterion only when one stands out.
    return lowest && lowest[1] < criteria.at(-1)![1] ? `below min_score (lowest: ${lowest[0]})` : 'below min_score';
  }
  return sample.review?.by === 'judge' ? 'judge rejected' : 'rejected';
}
