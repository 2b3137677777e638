/**
 * Filters over a sample index and the opaque cursor that pages through their result. Pages are
 * keyed by a sample's place in the file (and its id, to notice a rebuilt file), not by a count, so
 * decisions made between pages neither repeat nor skip a sample.
 */
import { InputError } from '../errors.js';
import type { Difficulty, SampleStatus } from '../pipelines/sample.js';
import { stableKey } from '../util/hash.js';
import { difficultyNames, statusNames, type Interner, type SampleIndex } from './sample-index.js';
import { queryWords, textHasWords } from './text-search.js';

export interface ReviewFilter {
  status?: SampleStatus;
  min_score?: number;
  max_score?: number;
  difficulty?: Difficulty;
  topic?: string;
  source?: string;
  query?: string;
  rejection_reason?: string;
}

const filterFields = ['status', 'min_score', 'max_score', 'difficulty', 'topic', 'source', 'query', 'rejection_reason'] as const;

/** A stable key for the filters that were set, for cursors and cached results. */
export function filterKey(filter: ReviewFilter): string {
  const set = filterFields.filter((field) => filter[field] !== undefined && filter[field] !== '').map((field) => [field, typeof filter[field] === 'string' ? (filter[field] as string).trim().toLowerCase() : filter[field]]);
  return stableKey(set).slice(0, 12);
}

/** Label ids whose name contains `text` (case-insensitive). */
function labelsContaining(labels: Interner, text: string | undefined): Uint8Array | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const needle = text.trim().toLowerCase();
  const allowed = new Uint8Array(labels.names.length);
  labels.names.forEach((name, id) => {
    if (name.toLowerCase().includes(needle)) allowed[id] = 1;
  });
  return allowed;
}

/** Ordinals of every sample matching the filter, in file order. */
export function matchSamples(index: SampleIndex, filter: ReviewFilter): number[] {
  const status = filter.status === undefined ? -1 : statusNames.indexOf(filter.status);
  const difficulty = filter.difficulty === undefined ? -1 : difficultyNames.indexOf(filter.difficulty);
  const minScore = filter.min_score ?? -Infinity;
  const maxScore = filter.max_score ?? Infinity;
  const scored = filter.min_score !== undefined || filter.max_score !== undefined;
  const topics = labelsContaining(index.labels.topic, filter.topic);
  const sources = labelsContaining(index.labels.source, filter.source);
  const reasons = labelsContaining(index.labels.reason, filter.rejection_reason);
  const reasonText = filter.rejection_reason?.trim().toLowerCase();
  const terms = queryWords(filter.query ?? '');
  const textHits = terms.length > 0 ? matchText(index, terms) : undefined;
  const matches: number[] = [];
  for (let ordinal = 0; ordinal < index.size; ordinal++) {
    const effective = index.status[ordinal]!;
    if (status >= 0 && effective !== status) continue;
    if (difficulty >= 0 && index.difficulty[ordinal] !== difficulty) continue;
    if (scored) {
      const score = index.scores[ordinal]!;
      if (!(score >= minScore && score <= maxScore)) continue;
    }
    if (topics && !topics[index.topic[ordinal]!]) continue;
    if (sources && !sources[index.source[ordinal]!]) continue;
    if (reasonText) {
      if (effective !== 1 || !rejectionMatches(index, ordinal, reasonText, reasons!)) continue;
    }
    if (textHits && !textHits[ordinal]) continue;
    matches.push(ordinal);
  }
  return matches;
}

/** One byte per sample: 1 when its text (or its edited text) holds every term. */
function matchText(index: SampleIndex, terms: string[]): Uint8Array {
  let all: Uint8Array | undefined;
  for (const term of terms) {
    const hits = new Uint8Array(index.size);
    index.words.scan(term, hits);
    if (all) for (let ordinal = 0; ordinal < hits.length; ordinal++) all[ordinal]! &= hits[ordinal]!;
    else all = hits;
  }
  for (const [ordinal, text] of index.overlayText) all![ordinal] = textHasWords(text, terms) ? 1 : 0;
  return all!;
}

function rejectionMatches(index: SampleIndex, ordinal: number, text: string, labels: Uint8Array): boolean {
  const human = index.overlays.get(ordinal);
  if (human) return 'human rejected'.includes(text) || (human.last.note ?? '').toLowerCase().includes(text);
  return labels[index.reason[ordinal]!] === 1 || (index.rejectReasons.get(ordinal) ?? '').includes(text);
}

export interface CursorState {
  run: string;
  /** The filters of the first page, so the next page can be asked for with the cursor alone. */
  filters: ReviewFilter;
  ordinal: number;
  id: string;
  limit: number;
}

/** Only the filters that were set. */
export function setFilters(filter: ReviewFilter): ReviewFilter {
  return Object.fromEntries(filterFields.filter((field) => filter[field] !== undefined && filter[field] !== '').map((field) => [field, filter[field]])) as ReviewFilter;
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify([1, state.run, setFilters(state.filters), state.ordinal, state.id, state.limit])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorState {
  try {
    const [version, run, filters, ordinal, id, limit] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (version === 1 && typeof run === 'string' && typeof filters === 'object' && filters !== null && Number.isInteger(ordinal) && typeof id === 'string') {
      return { run, filters: setFilters(filters as ReviewFilter), ordinal: ordinal as number, id, limit: Number.isInteger(limit) ? (limit as number) : 10 };
    }
  } catch {
    // fall through to the error below
  }
  throw new InputError('That cursor is not one review_samples gave out. Call review_samples without a cursor to start from the first page.', 'cursor_invalid');
}

/** Where the page after `cursor` starts in `matches`. */
export function pageStart(index: SampleIndex, matches: number[], cursor: CursorState | undefined, filter: string): number {
  if (!cursor) return 0;
  if (filterKey(cursor.filters) !== filter) {
    throw new InputError('This cursor was made with different filters. Pass the cursor alone (it carries its filters) or with the same filters, or start again without a cursor.', 'cursor_filter_mismatch');
  }
  let ordinal = cursor.ordinal;
  if (index.ids[ordinal] !== cursor.id) {
    const moved = index.ordinalOf.get(cursor.id);
    if (moved === undefined) {
      throw new InputError("The run's sample file was rebuilt since this cursor was made (it was resumed or re-run). Start again without a cursor.", 'cursor_stale');
    }
    ordinal = moved;
  }
  let low = 0;
  let high = matches.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (matches[middle]! <= ordinal) low = middle + 1;
    else high = middle;
  }
  return low;
}
