/**
 * The dependency rules of docs/ARCHITECTURE.md, enforced: imports run down the layers and never in a
 * cycle, one reader of the environment, one home for each SDK.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

/**
 * Every module of src by layer, lowest first: a module may import its own layer or one below, never
 * one above (cli/http -> server -> tools -> product services -> pipelines -> llm/budget ->
 * store/config -> util). A path ending in / is a folder; a module not listed fails the test, so a new
 * one is placed on purpose.
 */
const layers: readonly (readonly string[])[] = [
  ['src/util/', 'src/errors.ts'],
  ['src/store/', 'src/config.ts', 'src/provider-types.ts', 'src/files/', 'src/documents/'],
  ['src/llm/', 'src/budget/', 'src/prompt-templates.ts'],
  ['src/services.ts'],
  ['src/pipelines/'],
  ['src/app.ts'],
  ['src/runs/', 'src/planning/', 'src/review/', 'src/export/', 'src/dashboard/'],
  ['src/tools/', 'src/resources.ts', 'src/dashboard-resource.ts', 'src/mcp-prompts.ts'],
  ['src/server.ts'],
  ['src/cli.ts', 'src/cli-progress.ts', 'src/cli-flags.ts', 'src/http.ts', 'src/dashboard-routes.ts'],
];

interface Source {
  file: string;
  text: string;
  /** The src files it imports, statically or with import(), as repository paths. */
  imports: string[];
}

async function sources(): Promise<Source[]> {
  const root = path.join(repoRoot, 'src');
  const files = (await readdir(root, { recursive: true })).filter((name) => name.endsWith('.ts'));
  return Promise.all(
    files.map(async (name) => {
      const file = path.posix.join('src', name.split(path.sep).join('/'));
      const text = await readFile(path.join(root, name), 'utf8');
      const imports = [...text.matchAll(/(?:from\s+|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((match) => path.posix.join(path.posix.dirname(file), match[1]!).replace(/\.js$/, '.ts'));
      return { file, text, imports };
    }),
  );
}

function layerOf(file: string): number {
  return layers.findIndex((entries) => entries.some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry)));
}

/** The folder (or root file) a module belongs to: src/pipelines/cascade/plan.ts -> src/pipelines. */
function unitOf(file: string): string {
  return file.split('/').slice(0, 2).join('/');
}

/** Each import that runs up the layers, as "importer -> imported". */
function upwardImports(all: Source[]): string[] {
  return all.flatMap(({ file, imports }) => imports.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} -> ${target}`));
}

/** One cycle of the graph as its path (a -> b -> a), or undefined when there is none. */
function findCycle(edges: Map<string, Set<string>>): string | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string): string | undefined => {
    if (state.get(node) === 'open') return [...trail.slice(trail.indexOf(node)), node].join(' -> ');
    if (state.get(node) === 'done') return undefined;
    state.set(node, 'open');
    trail.push(node);
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    trail.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

function graph(all: Source[], node: (file: string) => string): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const { file, imports } of all) {
    const from = node(file);
    if (!edges.has(from)) edges.set(from, new Set());
    for (const target of imports) if (node(target) !== from) edges.get(from)!.add(node(target));
  }
  return edges;
}

describe('module boundaries', () => {
  it('places every module of src in a layer, and every import is of a file that exists', async () => {
    const all = await sources();
    expect(all.length).toBeGreaterThan(50);
    expect(all.filter(({ file }) => layerOf(file) < 0).map(({ file }) => file)).toEqual([]);
    const known = new Set(all.map(({ file }) => file));
    expect(all.flatMap(({ file, imports }) => imports.filter((target) => !known.has(target)).map((target) => `${file} -> ${target}`))).toEqual([]);
  });

  it('imports only run down the layers, with no cycle between files or between folders', async () => {
    const all = await sources();
    expect(upwardImports(all)).toEqual([]);
    expect(findCycle(graph(all, (file) => file))).toBeUndefined();
    expect(findCycle(graph(all, unitOf))).toBeUndefined();
  });

  it('the checks catch what they are for: an import up the layers, and a cycle', () => {
    const violating: Source[] = [
      { file: 'src/store/catalog.ts', text: '', imports: ['src/tools/index.ts'] },
      { file: 'src/tools/index.ts', text: '', imports: ['src/store/catalog.ts'] },
    ];
    expect(upwardImports(violating)).toEqual(['src/store/catalog.ts -> src/tools/index.ts']);
    expect(findCycle(graph(violating, (file) => file))).toBe('src/store/catalog.ts -> src/tools/index.ts -> src/store/catalog.ts');
    expect(findCycle(graph(violating, unitOf))).toBe('src/store -> src/tools -> src/store');
  });

  it('only src/config.ts reads process.env, only src/llm imports the provider SDKs, only src/store imports lowdb', async () => {
    const all = await sources();
    const offenders = (pattern: RegExp, allowed: (file: string) => boolean) => all.filter(({ file, text }) => pattern.test(text) && !allowed(file)).map(({ file }) => file);
    expect(offenders(/process\.env/, (file) => file === 'src/config.ts')).toEqual([]);
    expect(offenders(/from '(openai|@anthropic-ai\/sdk)[/']/, (file) => file.startsWith('src/llm/'))).toEqual([]);
    expect(offenders(/from 'lowdb[/']/, (file) => file.startsWith('src/store/'))).toEqual([]);
  });
});
