/**
 * review_samples' engine: applies decisions, then reads one page of a run's judged samples with the
 * judge's reasons beside them, and the run's summary after those decisions.
 */
import type { App } from '../app.js';
import { InputError } from '../errors.js';
import type { Decision, RunRecord } from '../store/catalog.js';
import type { Sample } from '../pipelines/sample.js';
import { effectiveSample, sameAsLatest, type DecisionInput, type DecisionOutcome } from './decisions.js';
import { decodeCursor, encodeCursor, filterKey, pageStart, setFilters, type ReviewFilter } from './filters.js';
import { locationOf, sourceOf, topicOf } from './sample-fields.js';
import { difficultyNames, statusNames, type SampleIndex } from './sample-index.js';
import { reviewStore } from './store.js';
import type { ReviewSummary } from './summary.js';

export interface ReviewRequest {
  run_id?: string;
  filter: ReviewFilter;
  limit?: number;
  cursor?: string;
  decisions?: DecisionInput[];
  /** Who decides: 'human' on the command line, the MCP client's name in chat. */
  who: string;
  max_chars?: number;
}

export interface SampleView {
  id: string;
  status: string;
  score: number | null;
  scores: Record<string, number>;
  difficulty: string;
  topic: string;
  source: string;
  /** File, page and heading path of a document's sample ("tenancy_guide.pdf, p. 14, Part II > Deposits"), else empty. */
  location: string;
  instruction: string;
  input: string;
  output: string;
  reasoning: string;
  judge: { by: string; reason: string; model?: string; at?: string };
  human?: { action: string; by: string; at: string; note?: string; decisions: number };
  original?: { instruction: string; output: string; status: string };
  truncated: boolean;
}

export interface DecisionResult {
  sample_id: string;
  action: string;
  outcome: DecisionOutcome;
  status_before: string;
  status_after: string;
  message: string;
}

export interface ReviewResult {
  run: RunRecord;
  samples_file_found: boolean;
  samples: SampleView[];
  matched: number;
  next_cursor: string | null;
  decisions: DecisionResult[];
  summary: ReviewSummary;
  skipped_lines: number;
}

export async function reviewSamples(app: App, request: ReviewRequest): Promise<ReviewResult> {
  const cursor = request.cursor ? decodeCursor(request.cursor) : undefined;
  const run = app.engine.get(request.run_id ?? cursor?.run);
  if (cursor && cursor.run !== run.id) {
    throw new InputError(`This cursor belongs to run ${cursor.run}, not ${run.id}. Drop run_id or the cursor.`, 'cursor_run_mismatch');
  }
  const store = reviewStore(app.services);
  let index = await store.index(run);
  const decisions = request.decisions?.length ? await store.locked(run.id, () => applyDecisions(app, run, index, request.decisions!, request.who)) : [];
  index = await store.index(run);
  // A cursor alone asks for the next page of the filters it was made with.
  const filter = cursor && Object.keys(setFilters(request.filter)).length === 0 ? cursor.filters : request.filter;
  const key = filterKey(filter);
  const matches = store.match(run.id, index, filter);
  // Taken with the matches, before any await: a refresh by a concurrent call may add lines meanwhile.
  const summary = store.summary(index, app.services.ledger.runSpent(run.id));
  const skippedLines = index.badLines;
  const start = pageStart(index, matches, cursor, key);
  const limit = request.limit ?? cursor?.limit ?? 10;
  const ordinals = matches.slice(start, start + limit);
  const records = await index.readMany(ordinals);
  const samples: SampleView[] = [];
  records.forEach((record, position) => {
    if (record) samples.push(view(effectiveSample(record, index.overlays.get(ordinals[position]!)), request.max_chars ?? 1200));
  });
  const last = ordinals.at(-1);
  const more = start + limit < matches.length && last !== undefined;
  return {
    run,
    samples_file_found: index.exists,
    samples,
    matched: matches.length,
    next_cursor: more ? encodeCursor({ run: run.id, filters: filter, ordinal: last, id: index.ids[last]!, limit }) : null,
    decisions,
    summary,
    skipped_lines: skippedLines,
  };
}

/** Checks every decision first, so one bad sample id leaves all of them unapplied. */
async function applyDecisions(app: App, run: RunRecord, index: SampleIndex, inputs: DecisionInput[], who: string): Promise<DecisionResult[]> {
  const unknown = inputs.filter((input) => !index.ordinalOf.has(input.sample_id)).map((input) => input.sample_id);
  if (unknown.length > 0) {
    throw new InputError(
      `No sample ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''} in run ${run.id} (${index.size} judged samples). ` +
        'Copy sample ids from a review_samples page. No decision was applied.',
      'sample_not_found',
    );
  }
  for (const input of inputs) {
    if (input.action === 'edit' && !input.instruction?.trim() && !input.output?.trim()) {
      throw new InputError(`The edit of ${input.sample_id} gives neither a new instruction nor a new output. Pass the corrected text. No decision was applied.`);
    }
  }
  const results: DecisionResult[] = [];
  for (const input of inputs) {
    const ordinal = index.ordinalOf.get(input.sample_id)!;
    const before = statusNames[index.status[ordinal]!]!;
    if (sameAsLatest(index.decisionsFor(input.sample_id).at(-1), input)) {
      results.push({ sample_id: input.sample_id, action: input.action, outcome: 'unchanged', status_before: before, status_after: before, message: `Already ${input.action === 'reject' ? 'rejected' : input.action === 'edit' ? 'edited' : 'approved'} with this decision; nothing changed.` });
      continue;
    }
    const fileSample = await index.read(ordinal);
    if (!fileSample) throw new InputError(`Sample ${input.sample_id} could not be read back from ${index.file}; the run's files may be changing. Try again in a moment.`);
    const textBefore = effectiveSample(fileSample, index.overlays.get(ordinal));
    const decision: Decision = {
      runId: run.id,
      sampleId: input.sample_id,
      action: input.action,
      ...(input.note ? { note: input.note } : {}),
      by: who,
      at: app.services.now().toISOString(),
      ...(input.action === 'edit' ? { edit: { ...(input.instruction?.trim() ? { instruction: input.instruction } : {}), ...(input.output?.trim() ? { output: input.output } : {}) } } : {}),
      original: { instruction: fileSample.instruction, output: fileSample.output, status: fileSample.status },
    };
    // The catalog holds the decision in memory at once and saves it; the index follows the same order.
    const saved = app.services.catalog.addDecision(decision);
    index.addDecision(decision, fileSample);
    await saved;
    const after = effectiveSample(fileSample, index.overlays.get(ordinal));
    const changed = after.status !== before || after.instruction !== textBefore.instruction || after.output !== textBefore.output;
    results.push({
      sample_id: input.sample_id,
      action: input.action,
      outcome: changed ? 'applied' : 'confirmed',
      status_before: before,
      status_after: after.status,
      message: changed ? `${before} -> ${after.status}${after.instruction !== textBefore.instruction || after.output !== textBefore.output ? ', text edited' : ''}; recorded by ${who}.` : `Still ${after.status}; recorded as reviewed by ${who}.`,
    });
  }
  return results;
}

function clip(text: unknown, max: number): [string, boolean] {
  const value = typeof text === 'string' ? text : '';
  return value.length > max ? [`${value.slice(0, max)}…`, true] : [value, false];
}

function view(sample: Sample, maxChars: number): SampleView {
  const [instruction, a] = clip(sample.instruction, maxChars);
  const [input, b] = clip(sample.input, maxChars);
  const [output, c] = clip(sample.output, maxChars);
  const [reasoning, d] = clip(sample.reasoning, maxChars);
  const judge = (sample.judge_review ?? sample.review ?? {}) as Sample['review'];
  const human = sample.human_review as SampleView['human'];
  const difficulty = difficultyNames.includes(sample.difficulty as never) ? sample.difficulty : 'unknown';
  return {
    id: sample.id,
    status: sample.status,
    score: typeof sample.scores?.overall === 'number' ? sample.scores.overall : null,
    scores: Object.fromEntries(Object.entries(sample.scores ?? {}).filter(([, value]) => typeof value === 'number')),
    difficulty,
    topic: topicOf(sample),
    source: sourceOf(sample),
    location: locationOf(sample),
    instruction,
    input,
    output,
    reasoning,
    judge: { by: judge.by ?? 'unknown', reason: judge.reason ?? '', ...(judge.model ? { model: judge.model } : {}), ...(judge.at ? { at: judge.at } : {}) },
    ...(human ? { human } : {}),
    ...(sample.original ? { original: sample.original as SampleView['original'] } : {}),
    truncated: a || b || c || d,
  };
}
