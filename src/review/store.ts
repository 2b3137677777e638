/**
 * The review state of a process: one sample index per recently reviewed run (built on first use,
 * kept up to date with its file), cached filter results, and a lock per run so that decisions on
 * the same samples are recorded one at a time.
 */
import path from 'node:path';
import type { Services } from '../services.js';
import type { RunRecord } from '../store/catalog.js';
import { runDir, runFilesFor } from '../pipelines/run-files.js';
import { groupDecisions } from './decisions.js';
import { filterKey, matchSamples, type ReviewFilter } from './filters.js';
import { SampleIndex } from './sample-index.js';
import { summarize, type ReviewSummary } from './summary.js';

const keptIndexes = 4;
const keptResults = 16;

export class ReviewStore {
  private readonly indexes = new Map<string, SampleIndex>();
  private readonly results = new Map<string, { version: number; ordinals: number[] }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly summaries = new WeakMap<SampleIndex, { version: number; summary: ReviewSummary }>();

  constructor(private readonly services: Services) {}

  /** The run's judged-sample index, up to date with its file. */
  async index(run: RunRecord): Promise<SampleIndex> {
    const file = path.join(runDir(this.services.config.home, run.id), runFilesFor(run.kind).judged ?? 'samples.jsonl');
    let index = this.indexes.get(run.id);
    if (!index || index.file !== file) {
      index = new SampleIndex(file, groupDecisions(this.services.catalog.decisions(run.id)));
      this.indexes.set(run.id, index);
    } else {
      this.indexes.delete(run.id); // re-insert: most recently used last
      this.indexes.set(run.id, index);
    }
    while (this.indexes.size > keptIndexes) this.indexes.delete(this.indexes.keys().next().value!);
    await index.refresh();
    return index;
  }

  /** Matching ordinals, cached until the index changes. */
  match(runId: string, index: SampleIndex, filter: ReviewFilter): number[] {
    const key = `${runId}:${filterKey(filter)}`;
    const cached = this.results.get(key);
    if (cached && cached.version === index.version) return cached.ordinals;
    const ordinals = matchSamples(index, filter);
    this.results.delete(key);
    this.results.set(key, { version: index.version, ordinals });
    while (this.results.size > keptResults) this.results.delete(this.results.keys().next().value!);
    return ordinals;
  }

  /** The run's summary, recomputed only when the index changed; spend is read fresh each time. */
  summary(index: SampleIndex, spentUsd: number): ReviewSummary {
    let cached = this.summaries.get(index);
    if (!cached || cached.version !== index.version) {
      cached = { version: index.version, summary: summarize(index, 0) };
      this.summaries.set(index, cached);
    }
    const { approved } = cached.summary;
    return { ...cached.summary, spent_usd: spentUsd, cost_per_approved_usd: approved > 0 ? spentUsd / approved : null };
  }

  /** Runs `work` after every earlier locked work on the same run has finished. */
  async locked<T>(runId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(runId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.locks.set(runId, next);
    try {
      return await next;
    } finally {
      if (this.locks.get(runId) === next) this.locks.delete(runId);
    }
  }
}

const stores = new WeakMap<Services, ReviewStore>();

export function reviewStore(services: Services): ReviewStore {
  let store = stores.get(services);
  if (!store) stores.set(services, (store = new ReviewStore(services)));
  return store;
}
