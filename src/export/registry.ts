/**
 * Every finished export leaves a manifest (export.json) in its folder and a line in
 * DISTILLERY_HOME/exports/index.jsonl, so exports can be listed and read as MCP resources
 * wherever they were written.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { JsonlAppender, readJsonlArray } from '../store/jsonl.js';

export interface ExportedFile {
  name: string;
  path: string;
  /** train, golden, preference, dataset_info or manifest. */
  role: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ExportManifest {
  name: string;
  dir: string;
  created_at: string;
  format: string;
  split: string;
  run_ids: string[];
  options: Record<string, unknown>;
  files: ExportedFile[];
  counts: object;
  notes: string[];
}

export const manifestName = 'export.json';

const indexFile = (home: string) => path.join(home, 'exports', 'index.jsonl');

export async function recordExport(home: string, manifest: ExportManifest): Promise<void> {
  const appender = await JsonlAppender.open(indexFile(home));
  try {
    await appender.append({ name: manifest.name, dir: manifest.dir, at: manifest.created_at, format: manifest.format, split: manifest.split });
  } finally {
    await appender.close();
  }
}

/** The latest export of each name, newest first. */
export async function listExports(home: string): Promise<{ name: string; dir: string; at: string; format: string; split: string }[]> {
  const entries = await readJsonlArray<{ name: string; dir: string; at: string; format: string; split: string }>(indexFile(home));
  const latest = new Map<string, (typeof entries)[number]>();
  for (const entry of entries) latest.set(entry.name, entry);
  return [...latest.values()].sort((a, b) => b.at.localeCompare(a.at));
}

export async function readManifest(dir: string): Promise<ExportManifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, manifestName), 'utf8')) as ExportManifest;
  } catch {
    return undefined;
  }
}
