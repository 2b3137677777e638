/**
 * An in-memory index of one run's judged samples, built once by streaming the file and extended as
 * the file grows: compact columns for filtering plus each record's byte offset, so a page reads
 * only the records it shows. A file that was rebuilt (new inode, shorter, or a different record at
 * the last indexed offset) is indexed again from the start.
 */
import { open, stat } from 'node:fs/promises';
import type { Decision } from '../store/catalog.js';
import type { Sample, SampleStatus } from '../pipelines/sample.js';
import { foldDecisions, type Overlay } from './decisions.js';
import { readLines, readRecord } from './line-reader.js';
import { rejectionCategory, sourceOf, topicOf } from './sample-fields.js';
import { WordIndex } from './text-search.js';

export const statusNames: readonly SampleStatus[] = ['approved', 'rejected', 'pending'];
export const difficultyNames = ['easy', 'medium', 'hard', 'unknown'] as const;

/** Strings that repeat (topics, sources, stages, reasons) are stored once and referenced by number. */
export class Interner {
  readonly names: string[] = [];
  private readonly ids = new Map<string, number>();
  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }
}

export class SampleIndex {
  readonly ids: string[] = [];
  readonly offsets: number[] = [];
  readonly lengths: number[] = [];
  readonly fileStatus: number[] = [];
  /** Status after human decisions. */
  readonly status: number[] = [];
  readonly scores: number[] = [];
  readonly difficulty: number[] = [];
  readonly topic: number[] = [];
  readonly source: number[] = [];
  readonly stage: number[] = [];
  /** A cascade sample's task type (source.task_type); empty for other pipelines. */
  readonly taskType: number[] = [];
  readonly reason: number[] = [];
  /** The words of each sample's instruction, input, output and judge's reason, for queries. */
  readonly words = new WordIndex();
  readonly labels = { topic: new Interner(), source: new Interner(), stage: new Interner(), taskType: new Interner(), reason: new Interner() };
  readonly overlays = new Map<number, Overlay>();
  readonly overlayText = new Map<number, string>();
  /** The judge's or filter's reason, lower-cased, for samples the file marks rejected. */
  readonly rejectReasons = new Map<number, string>();
  readonly ordinalOf = new Map<string, number>();
  /** Bumped on every change, so cached filter results and summaries know when they are stale. */
  version = 0;
  badLines = 0;
  exists = false;
  private identity = { ino: -1, size: -1, mtimeMs: -1 };
  private indexedBytes = 0;
  private refreshing: Promise<void> | undefined;
  private decisionsById: Map<string, Decision[]>;

  constructor(readonly file: string, decisions: Map<string, Decision[]>) {
    this.decisionsById = decisions;
  }

  get size(): number {
    return this.ids.length;
  }

  /** Brings the index up to date with the file; cheap (one stat) when nothing changed. */
  refresh(): Promise<void> {
    this.refreshing ??= this.update().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async update(): Promise<void> {
    const info = await stat(this.file).catch(() => undefined);
    if (!info) {
      if (this.exists || this.size > 0) this.reset();
      this.exists = false;
      return;
    }
    const { ino, size, mtimeMs } = info;
    if (ino === this.identity.ino && size === this.identity.size && mtimeMs === this.identity.mtimeMs) return;
    if (ino !== this.identity.ino || size < this.indexedBytes || !(await this.lastRecordStillThere())) this.reset();
    this.exists = true;
    // Lines are added as they are read, across awaits: anything cached meanwhile is made stale here and at the end.
    this.version++;
    for await (const line of readLines(this.file, this.indexedBytes)) {
      this.add(line.offset, line.length, line.text);
      this.indexedBytes = line.offset + line.length + 1;
    }
    this.identity = { ino, size, mtimeMs };
    this.version++;
  }

  private async lastRecordStillThere(): Promise<boolean> {
    const last = this.size - 1;
    if (last < 0) return this.indexedBytes === 0;
    const record = await this.read(last);
    return record?.id === this.ids[last];
  }

  private reset(): void {
    for (const column of [this.ids, this.offsets, this.lengths, this.fileStatus, this.status, this.scores, this.difficulty, this.topic, this.source, this.stage, this.taskType, this.reason]) column.length = 0;
    this.words.clear();
    this.overlays.clear();
    this.overlayText.clear();
    this.rejectReasons.clear();
    this.ordinalOf.clear();
    this.indexedBytes = 0;
    this.badLines = 0;
    this.identity = { ino: -1, size: -1, mtimeMs: -1 };
    this.version++;
  }

  private add(offset: number, length: number, line: string): void {
    let sample: Sample;
    try {
      sample = JSON.parse(line) as Sample;
    } catch {
      this.badLines++;
      return;
    }
    if (typeof sample !== 'object' || sample === null || typeof sample.id !== 'string' || this.ordinalOf.has(sample.id)) {
      this.badLines++;
      return;
    }
    const ordinal = this.ids.length;
    const status = Math.max(0, statusNames.indexOf(sample.status));
    const difficulty = difficultyNames.indexOf(sample.difficulty as never);
    this.ids.push(sample.id);
    this.ordinalOf.set(sample.id, ordinal);
    this.offsets.push(offset);
    this.lengths.push(length);
    this.fileStatus.push(status);
    this.status.push(status);
    this.scores.push(typeof sample.scores?.overall === 'number' ? sample.scores.overall : Number.NaN);
    this.difficulty.push(difficulty < 0 ? 3 : difficulty);
    this.topic.push(this.labels.topic.id(topicOf(sample)));
    this.source.push(this.labels.source.id(sourceOf(sample)));
    this.stage.push(this.labels.stage.id(typeof sample.stage === 'string' ? sample.stage : (sample.review?.by ?? 'unknown')));
    this.taskType.push(this.labels.taskType.id(typeof sample.source?.task_type === 'string' ? sample.source.task_type : ''));
    this.reason.push(this.labels.reason.id(status === 1 ? rejectionCategory(sample) : ''));
    this.words.add(ordinal, searchText(sample.instruction, sample.input, sample.output, sample.review?.reason));
    if (status === 1 && sample.review?.reason) this.rejectReasons.set(ordinal, sample.review.reason.toLowerCase());
    const decisions = this.decisionsById.get(sample.id);
    if (decisions) this.setOverlay(ordinal, foldDecisions(decisions), sample);
  }

  /** Records a decision made now (already saved to the catalog by the caller). */
  addDecision(decision: Decision, fileSample: Sample): void {
    const group = this.decisionsById.get(decision.sampleId) ?? [];
    group.push(decision);
    this.decisionsById.set(decision.sampleId, group);
    const ordinal = this.ordinalOf.get(decision.sampleId);
    if (ordinal !== undefined) this.setOverlay(ordinal, foldDecisions(group), fileSample);
    this.version++;
  }

  /** Why an (effectively) rejected sample was rejected: a person, or the file's category. */
  rejectionLabel(ordinal: number): string {
    return this.overlays.has(ordinal) ? 'human rejected' : this.labels.reason.names[this.reason[ordinal]!]!;
  }

  decisionsFor(sampleId: string): readonly Decision[] {
    return this.decisionsById.get(sampleId) ?? [];
  }

  private setOverlay(ordinal: number, overlay: Overlay | undefined, sample: Sample): void {
    if (!overlay) return;
    this.overlays.set(ordinal, overlay);
    this.status[ordinal] = statusNames.indexOf(overlay.status);
    if (overlay.instruction !== undefined || overlay.output !== undefined) {
      this.overlayText.set(ordinal, searchText(overlay.instruction ?? sample.instruction, sample.input, overlay.output ?? sample.output, sample.review?.reason));
    }
  }

  /** The record as stored in the file. */
  async read(ordinal: number): Promise<Sample | undefined> {
    const [sample] = await this.readMany([ordinal]);
    return sample;
  }

  async readMany(ordinals: number[]): Promise<(Sample | undefined)[]> {
    if (ordinals.length === 0) return [];
    const handle = await open(this.file, 'r');
    try {
      const records: (Sample | undefined)[] = [];
      for (const ordinal of ordinals) {
        const record = (await readRecord(handle, this.offsets[ordinal]!, this.lengths[ordinal]!)) as Sample | undefined;
        records.push(record?.id === this.ids[ordinal] ? record : undefined);
      }
      return records;
    } finally {
      await handle.close();
    }
  }
}

function searchText(...parts: unknown[]): string {
  return parts.filter((part): part is string => typeof part === 'string' && part !== '').join('\n');
}
