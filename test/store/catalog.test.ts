import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DistilleryError, InputError } from '../../src/errors.js';
import { Catalog, type CatalogData, type RunRecord } from '../../src/store/catalog.js';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'distillery-catalog-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function run(id: string, createdAt: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return { id, name: id, kind: 'distill', status: 'running', params: {}, createdAt, updatedAt: createdAt, progress: {}, spentUsd: 0, ...overrides };
}

async function onDisk(): Promise<CatalogData> {
  return JSON.parse(await readFile(path.join(home, 'catalog.json'), 'utf8')) as CatalogData;
}

describe('Catalog', () => {
  it('creates home and an empty catalog file on first open', async () => {
    const nested = path.join(home, 'nested', 'home');
    const catalog = await Catalog.open(nested);
    expect(catalog.listRuns()).toEqual([]);
    expect(JSON.parse(await readFile(path.join(nested, 'catalog.json'), 'utf8'))).toEqual({ version: 1, runs: [], decisions: [], settings: {} });
  });

  it('stores runs, lists them newest first with filters, and hands out copies', async () => {
    const catalog = await Catalog.open(home);
    await catalog.putRun(run('r-a', '2026-11-01T00:00:00Z'));
    await catalog.putRun(run('r-c', '2026-11-03T00:00:00Z', { kind: 'cascade', status: 'completed' }));
    await catalog.putRun(run('r-b', '2026-11-02T00:00:00Z'));
    expect(catalog.listRuns().map((item) => item.id)).toEqual(['r-c', 'r-b', 'r-a']);
    expect(catalog.listRuns({ status: 'running' }).map((item) => item.id)).toEqual(['r-b', 'r-a']);
    expect(catalog.listRuns({ kind: 'cascade' }).map((item) => item.id)).toEqual(['r-c']);
    expect(catalog.listRuns({ limit: 1 }).map((item) => item.id)).toEqual(['r-c']);
    catalog.getRun('r-a')!.name = 'changed by a caller';
    expect(catalog.getRun('r-a')?.name).toBe('r-a');
    expect(catalog.getRun('r-missing')).toBeUndefined();
  });

  it('patchRun sets updatedAt, removes keys patched to undefined and is on disk when it resolves', async () => {
    const catalog = await Catalog.open(home);
    await catalog.putRun(run('r-1', '2026-11-01T00:00:00Z', { pause: { reason: 'budget', message: 'out of money' }, status: 'paused' }));
    const patched = await catalog.patchRun('r-1', { status: 'running', pause: undefined, progress: { done: 3 } });
    expect(patched.updatedAt > '2026-11-01T00:00:00Z').toBe(true);
    expect('pause' in patched).toBe(false);
    const stored = (await onDisk()).runs[0]!;
    expect(stored).toMatchObject({ id: 'r-1', status: 'running', progress: { done: 3 } });
    expect(stored.pause).toBeUndefined();
    const error = await catalog.patchRun('r-nope', { status: 'failed' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('run_not_found');
  });

  it('keeps every one of many concurrent changes, and reopens with them', async () => {
    const catalog = await Catalog.open(home);
    await Promise.all([
      ...Array.from({ length: 100 }, (_, index) => catalog.putRun(run(`r-${index}`, new Date(Date.UTC(2026, 10, 1, 0, index)).toISOString()))),
      ...Array.from({ length: 50 }, (_, index) =>
        catalog.addDecision({ runId: 'r-1', sampleId: `s-${index}`, action: 'approve', by: 'human', at: '2026-11-02T00:00:00Z' }),
      ),
      catalog.updateSettings({ monthlyBudgetUsd: 250 }),
    ]);
    const disk = await onDisk();
    expect(disk.runs).toHaveLength(100);
    expect(disk.decisions).toHaveLength(50);
    expect(disk.settings).toEqual({ monthlyBudgetUsd: 250 });

    const reopened = await Catalog.open(home);
    expect(reopened.listRuns()).toHaveLength(100);
    expect(reopened.listRuns()[0]?.id).toBe('r-99');
    expect(reopened.decisions('r-1').map((decision) => decision.sampleId)).toEqual(Array.from({ length: 50 }, (_, index) => `s-${index}`));
    expect(reopened.decisions('r-2')).toEqual([]);
    await reopened.updateSettings({ monthlyBudgetUsd: undefined });
    expect(reopened.settings()).toEqual({});
  });

  it('refuses a catalog that does not parse, leaves it untouched and points at the backup', async () => {
    const catalog = await Catalog.open(home);
    await catalog.putRun(run('r-1', '2026-11-01T00:00:00Z'));
    await Catalog.open(home); // a clean open keeps a backup
    const file = path.join(home, 'catalog.json');
    await writeFile(file, '{"version":1,"runs":[');
    const error = await Catalog.open(home).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DistilleryError);
    expect((error as DistilleryError).code).toBe('catalog_corrupt');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('left untouched');
    expect((error as Error).message).toContain(`${file}.bak`);
    expect(await readFile(file, 'utf8')).toBe('{"version":1,"runs":[');
    expect(JSON.parse(await readFile(`${file}.bak`, 'utf8')).runs[0].id).toBe('r-1');

    await rm(`${file}.bak`);
    await writeFile(file, '{"something":"else"}');
    await expect(Catalog.open(home)).rejects.toThrow(/not a version 1 catalog.*There is no backup/);
  });

  it('rejects a mutation whose save fails, naming the file, and saves it with the next write', async () => {
    const catalog = await Catalog.open(home);
    const blocker = path.join(home, '.catalog.json.tmp'); // steno's temp file; a directory there makes the write fail
    await mkdir(blocker);
    const error = await catalog.putRun(run('r-1', '2026-11-01T00:00:00Z')).catch((caught: unknown) => caught);
    expect((error as DistilleryError).code).toBe('store_write_failed');
    expect((error as Error).message).toContain(path.join(home, 'catalog.json'));
    await rmdir(blocker);
    await catalog.putRun(run('r-2', '2026-11-02T00:00:00Z'));
    expect((await onDisk()).runs.map((item) => item.id)).toEqual(['r-1', 'r-2']);
  });
});

const writerScript = (catalogModule: string) => `
import { Catalog } from ${JSON.stringify(catalogModule)};
const catalog = await Catalog.open(process.argv[2]);
const at = new Date().toISOString();
// A large record makes each write take long enough for the kill to land mid-write now and then.
const padding = 'x'.repeat(300000);
if (!catalog.getRun('r-1')) {
  await catalog.putRun({ id: 'r-1', name: 'loop', kind: 'distill', status: 'running', params: { padding }, createdAt: at, updatedAt: at, progress: { n: 0 }, spentUsd: 0 });
}
// A burst of concurrent writes, which the writer coalesces.
const burst = (n) => Promise.all([
  catalog.updateSettings({ monthlyBudgetUsd: n }),
  catalog.patchRun('r-1', { name: 'loop ' + n }),
  catalog.putRun({ id: 'r-2', name: 'second', kind: 'cascade', status: 'running', params: {}, createdAt: at, updatedAt: at, progress: { n }, spentUsd: 0 }),
]);
let n = catalog.decisions('r-1').length;
// Finish a burst the last writer may have been killed in, so settings trail decisions by at most one.
await burst(n);
process.stdout.write('ready\\n');
for (;;) {
  n++;
  await catalog.patchRun('r-1', { progress: { n }, spentUsd: n });
  await catalog.addDecision({ runId: 'r-1', sampleId: 's' + n, action: 'approve', by: 'loop', at });
  await burst(n);
}
`;

async function runAndKill(script: string, delayMs: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, home], { cwd: repository, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    void exited.then(() => reject(new Error(`the writer exited before it was ready: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
}

describe('Catalog under SIGKILL', () => {
  it('always reopens to a parseable, consistent catalog after the writer is killed mid-loop', async () => {
    const script = path.join(home, 'writer.mts');
    await writeFile(script, writerScript(pathToFileURL(path.join(repository, 'src/store/catalog.ts')).href));
    let lastCount = 0;
    let tornTemps = 0;
    const rounds = Number(process.env.KILL_ROUNDS ?? 5); // KILL_ROUNDS=30 runs a longer soak by hand
    for (let round = 0; round < rounds; round++) {
      await runAndKill(script, 30 + Math.floor(Math.random() * 400));
      if (existsSync(path.join(home, '.catalog.json.tmp'))) tornTemps++;
      const text = await readFile(path.join(home, 'catalog.json'), 'utf8');
      expect(() => JSON.parse(text)).not.toThrow();
      const catalog = await Catalog.open(home);
      const first = catalog.getRun('r-1')!;
      const decisions = catalog.decisions('r-1');
      const count = decisions.length;
      // Each loop step writes progress n, then decision n: a crash can only land between them.
      expect([count, count + 1]).toContain(first.progress.n);
      expect(first.spentUsd).toBe(first.progress.n);
      expect(decisions.map((decision) => decision.sampleId)).toEqual(Array.from({ length: count }, (_, index) => `s${index + 1}`));
      expect([count - 1, count]).toContain(catalog.settings().monthlyBudgetUsd);
      expect(first.params.padding).toHaveLength(300000);
      expect(count).toBeGreaterThanOrEqual(lastCount);
      lastCount = count;
    }
    expect(lastCount).toBeGreaterThan(0);
    console.info(`SIGKILL test: ${lastCount} loop steps over ${rounds} kills; a partly written temp file was left ${tornTemps} times`);
  });
});
