/**
 * What a dataset card says about each exported run: what it was made from, which models did each
 * stage (from the run's call journal, so it is what was actually called), what it cost and how
 * many of its judged samples were approved (from metrics.json).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../app.js';
import type { JournalRecord } from '../pipelines/journal.js';
import type { RunRecord } from '../store/catalog.js';
import { readJsonl } from '../store/jsonl.js';

export interface RunFacts {
  id: string;
  kind: string;
  name: string;
  created_at: string;
  source: string;
  /** stage -> provider/model names that answered it. */
  models: Record<string, string[]>;
  cost_usd: number;
  approval_rate?: number;
}

export async function runFacts(app: App, run: RunRecord): Promise<RunFacts> {
  const dir = app.engine.runDir(run.id);
  const models: Record<string, Set<string>> = {};
  for await (const record of readJsonl<JournalRecord>(path.join(dir, 'calls.jsonl'))) {
    if (record.outcome !== 'ok') continue;
    (models[record.stage] ??= new Set()).add(`${record.provider}/${record.model}`);
  }
  const metrics = await readFile(path.join(dir, 'metrics.json'), 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}) as Record<string, unknown>);
  const rate = metrics.approval_rate;
  return {
    id: run.id,
    kind: run.kind,
    name: run.name,
    created_at: run.createdAt,
    source: describeSource(run),
    models: Object.fromEntries(Object.entries(models).map(([stage, names]) => [stage, [...names].sort()])),
    cost_usd: run.spentUsd,
    ...(typeof rate === 'number' ? { approval_rate: rate } : {}),
  };
}

function describeSource(run: RunRecord): string {
  const params = run.params as Record<string, any>;
  if (run.kind === 'distill' && params.document?.relative) return `document ${params.document.relative}`;
  if (run.kind === 'cascade' && params.domain?.name) return `domain "${params.domain.name}"${params.domain.kind === 'free_text' ? ' (free text)' : ''}`;
  if (run.kind === 'ensemble' && params.source) {
    const source = params.source as Record<string, any>;
    if (source.kind === 'file') return `prompts file ${source.file?.relative ?? ''}`.trim();
    if (source.kind === 'run') return `the approved instructions of run ${source.run_id}`;
    if (source.kind === 'domain') return `prompts generated for domain "${typeof source.domain === 'string' ? source.domain : source.domain?.name ?? ''}"`;
  }
  return 'not recorded';
}
