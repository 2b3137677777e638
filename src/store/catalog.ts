/**
 * The small, often-read catalog (runs, review decisions, settings) in DISTILLERY_HOME/catalog.json.
 * lowdb's JSONFile writes through steno: temp file then rename, one write in flight, later ones
 * coalesced into the next, so a crash leaves either the old or the new file, never a torn one.
 * One process writes a home's catalog; a second writer would lose updates.
 */
import { copyFile, mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { DistilleryError, InputError, errorMessage } from '../errors.js';

export type RunKind = 'distill' | 'cascade' | 'ensemble' | 'evaluate';
export type RunStatus = 'running' | 'paused' | 'completed' | 'failed' | 'cancelled' | 'interrupted';
export interface RunPause {
  reason: 'budget' | 'failures' | 'provider' | 'write_error';
  message: string;
  figures?: Record<string, number>;
}
/**
 * What every run's parameters share; each pipeline's params extend it (DistillParams, CascadeParams,
 * EnsembleParams). Fields every run may carry go here. The catalog keeps params as JSON, so other
 * fields are readable by name (an index signature) until a pipeline's own type says what they are.
 */
export interface RunParams {
  /** Hard cap for this run in US dollars; the run pauses instead of going over. */
  max_usd?: number;
  [field: string]: unknown;
}
export interface RunRecord {
  id: string;
  name: string;
  kind: RunKind;
  status: RunStatus;
  /** The validated start arguments. */
  params: RunParams;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  pause?: RunPause;
  error?: string;
  /** The engine's counters, opaque here. */
  progress: Record<string, unknown>;
  spentUsd: number;
}
export interface Decision {
  runId: string;
  sampleId: string;
  action: 'approve' | 'reject' | 'edit';
  note?: string;
  by: string;
  at: string;
  edit?: { instruction?: string; output?: string };
  original?: { instruction: string; output: string; status: string };
}
export interface CatalogData {
  version: 1;
  runs: RunRecord[];
  decisions: Decision[];
  settings: { monthlyBudgetUsd?: number };
}

const emptyCatalog = (): CatalogData => ({ version: 1, runs: [], decisions: [], settings: {} });

function isCatalogData(value: unknown): value is CatalogData {
  const data = value as CatalogData | null;
  return (
    typeof data === 'object' && data !== null && data.version === 1 && Array.isArray(data.runs) &&
    Array.isArray(data.decisions) && typeof data.settings === 'object' && data.settings !== null
  );
}

async function exists(file: string): Promise<Date | undefined> {
  return stat(file).then((info) => info.mtime, () => undefined);
}

export class Catalog {
  readonly file: string;
  #db: Low<CatalogData>;

  private constructor(file: string, db: Low<CatalogData>) {
    this.file = file;
    this.#db = db;
  }

  /** Creates home; a catalog that does not parse is left untouched and reported with its backup. */
  static async open(home: string): Promise<Catalog> {
    await mkdir(home, { recursive: true });
    const file = path.join(home, 'catalog.json');
    const backup = `${file}.bak`;
    const db = new Low<CatalogData>(new JSONFile<CatalogData>(file), emptyCatalog());
    let problem: string | undefined;
    try {
      await db.read();
      if (!isCatalogData(db.data)) problem = 'it is not a version 1 catalog with runs, decisions and settings';
    } catch (error) {
      problem = errorMessage(error);
    }
    if (problem !== undefined) {
      const backupTime = await exists(backup);
      const restore = backupTime
        ? `A copy taken when it last opened cleanly (${backupTime.toISOString()}) is at ${backup}; copy it over ${file} to restore it, or fix the JSON by hand.`
        : `There is no backup at ${backup}; fix the JSON by hand, or move the file aside to start with an empty catalog.`;
      throw new DistilleryError('catalog_corrupt', `The catalog ${file} could not be read (${problem}). It was left untouched. ${restore}`);
    }
    const catalog = new Catalog(file, db);
    if (await exists(file)) {
      // Keep the last catalog that opened cleanly: a hand edit gone wrong can be undone from it.
      await copyFile(file, `${backup}.tmp`);
      await rename(`${backup}.tmp`, backup);
    } else {
      await catalog.#save();
    }
    return catalog;
  }

  getRun(id: string): RunRecord | undefined {
    const run = this.#db.data.runs.find((candidate) => candidate.id === id);
    return run && structuredClone(run);
  }

  /** Newest first. */
  listRuns(filter: { status?: RunStatus; kind?: RunKind; limit?: number } = {}): RunRecord[] {
    const runs = this.#db.data.runs
      .map((run, index) => ({ run, index }))
      .filter(({ run }) => (!filter.status || run.status === filter.status) && (!filter.kind || run.kind === filter.kind))
      .sort((a, b) => b.run.createdAt.localeCompare(a.run.createdAt) || b.index - a.index)
      .map(({ run }) => structuredClone(run));
    return filter.limit === undefined ? runs : runs.slice(0, Math.max(0, filter.limit));
  }

  async putRun(run: RunRecord): Promise<void> {
    if (!run.id) throw new InputError('A run needs an id before it can be saved in the catalog.');
    const runs = this.#db.data.runs;
    const index = runs.findIndex((candidate) => candidate.id === run.id);
    if (index >= 0) runs[index] = structuredClone(run);
    else runs.push(structuredClone(run));
    await this.#save();
  }

  /** Sets updatedAt; a key patched to undefined is removed. */
  async patchRun(id: string, patch: Partial<RunRecord>): Promise<RunRecord> {
    const runs = this.#db.data.runs;
    const index = runs.findIndex((candidate) => candidate.id === id);
    const current = runs[index];
    if (!current) throw new InputError(`No run ${id} in the catalog. list_runs shows the runs there are.`, 'run_not_found');
    const next: RunRecord = { ...current, ...structuredClone(patch), id, updatedAt: new Date().toISOString() };
    for (const key of Object.keys(next) as (keyof RunRecord)[]) if (next[key] === undefined) delete next[key];
    runs[index] = next;
    await this.#save();
    return structuredClone(next);
  }

  /** Every decision for a run, oldest first; a later one for the same sample supersedes earlier ones. */
  decisions(runId: string): Decision[] {
    return this.#db.data.decisions.filter((decision) => decision.runId === runId).map((decision) => structuredClone(decision));
  }

  async addDecision(decision: Decision): Promise<void> {
    this.#db.data.decisions.push(structuredClone(decision));
    await this.#save();
  }

  settings(): CatalogData['settings'] {
    return { ...this.#db.data.settings };
  }

  /** A key patched to undefined is removed. */
  async updateSettings(patch: Partial<CatalogData['settings']>): Promise<void> {
    const settings = { ...this.#db.data.settings, ...patch };
    for (const key of Object.keys(settings) as (keyof typeof settings)[]) if (settings[key] === undefined) delete settings[key];
    this.#db.data.settings = settings;
    await this.#save();
  }

  /** Resolves once a write that includes every change made so far is on disk. */
  async #save(): Promise<void> {
    try {
      await this.#db.write();
    } catch (error) {
      throw new DistilleryError(
        'store_write_failed',
        `Could not save the catalog ${this.file}: ${errorMessage(error)}. The change is kept in memory and saved with the next write; free disk space or fix permissions.`,
      );
    }
  }
}
