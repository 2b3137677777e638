import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { cliCommand, connectClient, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import { writeCascadeRun } from '../export/fixtures.js';
import type { Sample } from '../../src/pipelines/sample.js';

let world: TestWorld;
let app: App;
let client: Client;
let cascade: Awaited<ReturnType<typeof writeCascadeRun>>;

const readJson = async (uri: string) => {
  const result = await client.readResource({ uri });
  const content = result.contents[0] as { text: string; mimeType?: string };
  return JSON.parse(content.text) as Record<string, unknown>;
};

beforeAll(async () => {
  world = await makeWorld();
  app = await makeApp(world);
  client = await connectClient(app);
  cascade = await writeCascadeRun(app, 45, { id: 'r-test-resources' });
});
afterAll(async () => {
  await app.close();
  await world.cleanup();
});

describe('MCP resources', () => {
  it("serves a run's summary with its review summary, and lists runs", async () => {
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain('distillery://runs/r-test-resources');
    const body = await readJson('distillery://runs/r-test-resources');
    expect((body.run as { run_id: string }).run_id).toBe('r-test-resources');
    const approved = cascade.all.filter((sample) => sample.status === 'approved').length;
    expect(body.review_summary).toMatchObject({ total: 45, approved, rejected: 45 - approved });
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((template) => template.uriTemplate);
    expect(templates).toEqual(expect.arrayContaining(['distillery://runs/{run_id}', 'distillery://runs/{run_id}/samples{?status,cursor}', 'distillery://exports/{name}', 'distillery://exports/{name}/{file}']));
  });

  it('pages samples by status through next links, with query parameters in any order', async () => {
    const ids: string[] = [];
    let uri: string | null = 'distillery://runs/r-test-resources/samples?status=rejected';
    while (uri) {
      const page = await readJson(uri);
      ids.push(...(page.samples as Sample[]).map((sample) => sample.id));
      // Put the cursor first: the template must not depend on the order.
      uri = page.next_cursor ? `distillery://runs/r-test-resources/samples?cursor=${encodeURIComponent(page.next_cursor as string)}&status=rejected` : null;
    }
    expect(ids).toEqual(cascade.all.filter((sample) => sample.status === 'rejected').map((sample) => sample.id));
    const all = await readJson('distillery://runs/r-test-resources/samples');
    expect(all.matched).toBe(45);
    expect((all.samples as unknown[]).length).toBe(20);
  });

  it('serves an export manifest and its files, byte for byte', async () => {
    const exported = await client.callTool({ name: 'export_dataset', arguments: { run_ids: ['r-test-resources'], format: 'llama-factory', split: 'all', name: 'res-export' } });
    expect(exported.isError, textOf(exported)).toBeFalsy();
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain('distillery://exports/res-export');
    const manifest = await readJson('distillery://exports/res-export');
    const files = manifest.files as { name: string; sha256: string; path: string }[];
    expect(files.map((file) => file.name)).toEqual(['golden.jsonl', 'train.jsonl', 'dataset_info.json', 'sft.yaml', 'README.md']);
    for (const file of files) {
      const result = await client.readResource({ uri: `distillery://exports/res-export/${file.name}` });
      const text = (result.contents[0] as { text: string }).text;
      expect(createHash('sha256').update(text).digest('hex')).toBe(file.sha256);
      expect(text).toBe(await readFile(file.path, 'utf8'));
    }
    await expect(client.readResource({ uri: 'distillery://exports/no-such-export' })).rejects.toThrow(/No export named "no-such-export"/);
  });
});

describe('distillery export (command line)', () => {
  it('writes an export of the latest run and prints the files', async () => {
    const { stdout } = await promisify(execFile)(cliCommand[0], [...cliCommand.slice(1), 'export', '--format', 'sharegpt', '--split', 'train', '--name', 'from-cli', '--system', 'Be brief.'], { env: { ...process.env, ...world.env }, cwd: world.dir });
    expect(stdout).toMatch(/Exported \d+ train samples, 0 golden samples from r-test-resources as sharegpt/);
    const rows = (await readFile(path.join(world.home, 'exports', 'from-cli', 'train.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line));
    expect(rows).toHaveLength(cascade.train.length);
    expect(rows[0]).toMatchObject({ system: 'Be brief.', conversations: [{ from: 'human' }, { from: 'gpt' }] });
  });

  it('writes a LLaMA-Factory export with sft.yaml for the given base model and prints how to train it', async () => {
    const { stdout } = await promisify(execFile)(cliCommand[0], [...cliCommand.slice(1), 'export', '--format', 'llama-factory', '--name', 'lf-cli', '--base-model', 'Qwen/Qwen3-0.6B'], { env: { ...process.env, ...world.env }, cwd: world.dir });
    const dir = path.join(world.home, 'exports', 'lf-cli');
    expect(stdout).toContain(`To train: llamafactory-cli train ${path.join(dir, 'sft.yaml')}`);
    const sft = await readFile(path.join(dir, 'sft.yaml'), 'utf8');
    expect(sft).toMatch(/^model_name_or_path: Qwen\/Qwen3-0\.6B$/m);
    expect(sft).toMatch(/^dataset: lf-cli_train$/m);
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toMatch(/^---\nlicense: other|^---\npretty_name: lf-cli/);
  });
});
