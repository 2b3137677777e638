/**
 * MCP resources: a run's summary and metrics, pages of its samples, and finished exports, so a
 * client can attach them to a conversation without a tool call.
 *   distillery://runs/{run_id}                          run status, metrics.json and review summary
 *   distillery://runs/{run_id}/samples{?status,cursor}  a page of judged samples (20) with the judge's reasons
 *   distillery://exports/{name}                         an export's manifest (files, counts, sha256)
 *   distillery://exports/{name}/{file}                  one exported file (up to 5 MB)
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ResourceTemplate, UriTemplate, type McpServer, type ReadResourceResult, type Variables } from '@modelcontextprotocol/server';
import type { App } from './app.js';
import { InputError } from './errors.js';
import { listDocuments } from './files/documents.js';
import { listExports, readManifest } from './export/registry.js';
import { runFilePath } from './pipelines/run-files.js';
import { reviewSamples } from './review/review.js';
import { reviewStore } from './review/store.js';
import { viewRun } from './tools/run-view.js';

const maxFileBytes = 5 * 1024 * 1024;
const statuses = new Set(['approved', 'rejected', 'pending']);

/** Matches the path as a URI template and takes the listed query parameters in any order, each optional. */
class QueryTolerantTemplate extends UriTemplate {
  private readonly pathTemplate: UriTemplate;
  constructor(template: string, private readonly queryNames: string[]) {
    super(template);
    this.pathTemplate = new UriTemplate(template.replace(/\{\?[^}]*\}$/, ''));
  }
  override match(uri: string): Variables | null {
    const question = uri.indexOf('?');
    const variables = this.pathTemplate.match(question < 0 ? uri : uri.slice(0, question));
    if (!variables) return null;
    const query = new URLSearchParams(question < 0 ? '' : uri.slice(question + 1));
    for (const name of this.queryNames) {
      const value = query.get(name);
      if (value !== null && value !== '') variables[name] = value;
    }
    return variables;
  }
}

const json = (uri: URL, value: unknown): ReadResourceResult => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] });
const variable = (variables: Variables, name: string) => {
  const value = variables[name];
  return decodeURIComponent(Array.isArray(value) ? (value[0] ?? '') : (value ?? ''));
};

export function registerResources(server: McpServer, app: App): void {
  const runIds = (prefix: string) => app.services.catalog.listRuns({ limit: 100 }).map((run) => run.id).filter((id) => id.startsWith(prefix)).slice(0, 50);
  const complete = { run_id: runIds };

  server.registerResource(
    'documents',
    'distillery://documents',
    { title: 'Documents that can be distilled', description: 'The documents (PDF, DOCX, HTML, EPUB, .txt, .md) inside the allowed folders, with their sizes.', mimeType: 'application/json' },
    async (uri) => {
      const { documents, truncated } = await listDocuments([...app.config.roots], { limit: 500 });
      const body = { roots: app.config.roots, truncated, documents: documents.map((doc) => ({ relative: doc.relative, root: doc.root, bytes: doc.bytes })) };
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(body, null, 2) }] };
    },
  );

  server.registerResource(
    'run',
    new ResourceTemplate('distillery://runs/{run_id}', {
      list: () => ({ resources: app.services.catalog.listRuns({ limit: 50 }).map((run) => ({ uri: `distillery://runs/${run.id}`, name: run.id, title: run.name, mimeType: 'application/json', description: `${run.kind} run, ${run.status}` })) }),
      complete,
    }),
    { title: 'Run summary and metrics', description: "A run's status, counts and spend, its metrics.json, and the review summary (approval rates, top rejection reasons, cost per approved pair).", mimeType: 'application/json' },
    async (uri, variables) => {
      const run = app.engine.get(variable(variables, 'run_id'));
      const metricsFile = runFilePath(app.engine.runDir(run.id), run.kind, 'metrics');
      const metrics = metricsFile ? await readFile(metricsFile, 'utf8').then((text) => JSON.parse(text) as unknown, () => null) : null;
      const store = reviewStore(app.services);
      const index = await store.index(run);
      return json(uri, { run: viewRun(app, run), metrics, review_summary: store.summary(index, app.services.ledger.runSpent(run.id)), samples: `distillery://runs/${run.id}/samples` });
    },
  );

  server.registerResource(
    'run-samples',
    new ResourceTemplate(new QueryTolerantTemplate('distillery://runs/{run_id}/samples{?status,cursor}', ['status', 'cursor']), { list: undefined, complete }),
    { title: 'Samples of a run', description: "A page of a run's judged samples with the judge's score and reason; status filters (approved, rejected, pending), next_cursor pages on.", mimeType: 'application/json' },
    async (uri, variables) => {
      const status = variables.status === undefined ? undefined : variable(variables, 'status');
      if (status !== undefined && !statuses.has(status)) throw new InputError(`status must be approved, rejected or pending, not "${status}".`);
      const cursor = variables.cursor === undefined ? undefined : variable(variables, 'cursor');
      const result = await reviewSamples(app, { run_id: variable(variables, 'run_id'), filter: status ? { status: status as 'approved' } : {}, cursor, limit: 20, who: 'resource' });
      const next = result.next_cursor ? `distillery://runs/${result.run.id}/samples?${new URLSearchParams({ ...(status ? { status } : {}), cursor: result.next_cursor })}` : null;
      return json(uri, { run_id: result.run.id, matched: result.matched, samples: result.samples, next_cursor: result.next_cursor, next, summary: result.summary });
    },
  );

  server.registerResource(
    'export',
    new ResourceTemplate('distillery://exports/{name}', {
      list: async () => ({ resources: (await listExports(app.config.home)).map((entry) => ({ uri: `distillery://exports/${entry.name}`, name: entry.name, mimeType: 'application/json', description: `${entry.format} export (${entry.split}) in ${entry.dir}` })) }),
    }),
    { title: 'Export manifest', description: "An export's files with row counts and sha256, its counts and notes.", mimeType: 'application/json' },
    async (uri, variables) => json(uri, await manifestOf(app, variable(variables, 'name'))),
  );

  server.registerResource(
    'export-file',
    new ResourceTemplate('distillery://exports/{name}/{file}', { list: undefined }),
    { title: 'Exported file', description: 'One file of an export (JSONL or dataset_info.json), up to 5 MB.' },
    async (uri, variables) => {
      const manifest = await manifestOf(app, variable(variables, 'name'));
      const file = manifest.files.find((candidate) => candidate.name === variable(variables, 'file'));
      if (!file) throw new InputError(`Export ${manifest.name} has no file "${variable(variables, 'file')}"; it has ${manifest.files.map((candidate) => candidate.name).join(', ')}.`);
      const location = path.join(manifest.dir, file.name);
      const { size } = await stat(location);
      if (size > maxFileBytes) throw new InputError(`${file.name} is ${(size / 1e6).toFixed(1)} MB, too large to send as a resource (limit 5 MB). Read it from disk at ${location}.`);
      return { contents: [{ uri: uri.href, mimeType: file.name.endsWith('.jsonl') ? 'application/jsonl' : 'application/json', text: await readFile(location, 'utf8') }] };
    },
  );
}

async function manifestOf(app: App, name: string) {
  const entry = (await listExports(app.config.home)).find((candidate) => candidate.name === name);
  const manifest = entry && (await readManifest(entry.dir));
  if (!manifest) throw new InputError(`No export named "${name}". export_dataset writes one; resources/list shows the exports there are.`, 'export_not_found');
  return manifest;
}
