/**
 * No argument is silently ignored: a tool call or a command-line flag the tool does not know is
 * refused by name, with the ones it does know, before anything is spent or any run is created.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { cliCommand, connectClient, makeApp, makeWorld, sharedFake, textOf, type TestWorld } from '../helpers.js';

const fake = sharedFake();
let world: TestWorld;
let app: App;
let client: Client;

beforeAll(async () => {
  world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await client.close();
  await app.close();
  await world.cleanup();
});

/** Nothing happened: no provider request, no run, no dollar. */
function expectNothingSpent(): void {
  expect(fake.requests).toHaveLength(0);
  expect(app.services.catalog.listRuns({})).toEqual([]);
  expect(app.services.guard.status().spentUsd).toBe(0);
}

describe('unknown tool arguments', () => {
  it('refuses start_cascade with temperature, a setting this version does not take, naming it and the known arguments', async () => {
    const result = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 20, temperature: 0.2 } });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain('start_cascade does not know the argument "temperature", so nothing was done');
    expect(text).toContain('Its arguments are: domain, samples, target, golden_fraction, stage_a_only, pairs_per_call, min_score, max_usd, dry_run, mode, deepseek_off_peak.');
    expectNothingSpent();
    // The same call without the unknown argument is allowed (as a dry run here): the refusal was about "temperature" alone.
    const dry = await client.callTool({ name: 'start_cascade', arguments: { domain: 'medical', samples: 20, dry_run: true } });
    expect(dry.isError, textOf(dry)).toBeFalsy();
  });

  it('names every unknown argument at once, for typos in distill_file, budget_status and check_setup', async () => {
    const distill = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chnk: 2, maxusd: 1 } });
    expect(distill.isError).toBe(true);
    expect(textOf(distill)).toContain('distill_file does not know the arguments "pairs_per_chnk", "maxusd"');
    expect(textOf(distill)).toContain('pairs_per_chunk');
    const budget = await client.callTool({ name: 'budget_status', arguments: { montth: '2026-11' } });
    expect(textOf(budget)).toContain('budget_status does not know the argument "montth", so nothing was done. Its arguments are: month.');
    const setup = await client.callTool({ name: 'check_setup', arguments: { verbose: true } });
    expect(textOf(setup)).toContain('check_setup does not know the argument "verbose", so nothing was done. Its arguments are: (none).');
    expectNothingSpent();
  });

  it('refuses unknown keys inside nested arguments too, with the path and the keys known there', async () => {
    const plan = await client.callTool({ name: 'plan_budget', arguments: { goals: { documents: [{ path: 'legal_guide.txt', pairs: 2 }] } } });
    expect(plan.isError).toBe(true);
    expect(textOf(plan)).toContain('goals.documents.0: unknown key "pairs"; known keys here: path, pairs_per_chunk, mode.');
    const review = await client.callTool({ name: 'review_samples', arguments: { decisions: [{ sample_id: 's-1', action: 'reject', notes: 'typo' }] } });
    expect(review.isError).toBe(true);
    expect(textOf(review)).toContain('decisions.0: unknown key "notes"; known keys here: sample_id, action, instruction, output, note.');
  });

  it('refuses an unknown argument in every tool, and tools/list shows each input schema closed, with its descriptions', async () => {
    const { tools } = await client.listTools();
    expect(tools.length).toBe(15);
    for (const tool of tools) {
      const schema = tool.inputSchema as { additionalProperties?: unknown; properties?: Record<string, { description?: string }> };
      expect(schema.additionalProperties, tool.name).toBe(false);
      const result = await client.callTool({ name: tool.name, arguments: { not_an_argument: 1 } });
      expect(result.isError, tool.name).toBe(true);
      const known = Object.keys(schema.properties ?? {});
      expect(textOf(result), tool.name).toContain(`${tool.name} does not know the argument "not_an_argument", so nothing was done. Its arguments are: ${known.join(', ') || '(none)'}.`);
    }
    const cascade = tools.find((tool) => tool.name === 'start_cascade')!.inputSchema as { properties: Record<string, { description?: string }> };
    expect(cascade.properties.samples?.description).toMatch(/Raw pairs to ask of stage A/);
    expectNothingSpent();
  });
});

describe('unknown command-line flags', () => {
  const run = promisify(execFile);
  const cli = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(cliCommand[0], [...cliCommand.slice(1), ...args], { cwd: world.dir, env: { ...process.env, ...world.env } });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, output: failed.stdout + failed.stderr };
    }
  };

  it('refuses an unknown flag and a flag of another command by name, listing the command\'s flags, before the home is touched', async () => {
    // --samples is a cascade flag: distill would have ignored it.
    const [batch, typo, elsewhere, setup] = await Promise.all([
      cli(['cascade', '--domain', 'medical', '--samples', '20', '--temperature', '0.2']),
      cli(['cascade', '--domain', 'medical', '--sampels', '20', '--max-usd', '1']),
      cli(['distill', '--input', 'legal_guide.txt', '--samples', '3']),
      cli(['setup', '--verbose']),
    ]);
    expect(batch.code).toBe(2);
    expect(batch.output).toContain('The cascade command does not know --temperature, so nothing was done. It takes: --domain, --samples, --target, --golden-fraction, --stage-a-only, --pairs-per-call, --min-score, --max-usd, --dry-run, --batch, --mode, --no-off-peak.');
    expect(typo.code).toBe(2);
    expect(typo.output).toContain('The cascade command does not know --sampels');
    expect(elsewhere.code).toBe(2);
    expect(elsewhere.output).toContain('The distill command does not know --samples, so nothing was done. It takes: --input, --pairs-per-chunk');
    expect(setup.output).toContain('The setup command does not know --verbose, so nothing was done. It takes no flags.');
    expect(fake.requests).toHaveLength(0);
    // Refused before the config was read: no run was created and no run folder written.
    const catalog = path.join(world.home, 'catalog.json');
    expect(existsSync(catalog) ? JSON.parse(readFileSync(catalog, 'utf8')).runs : []).toEqual([]);
    expect(existsSync(path.join(world.home, 'runs')) ? readdirSync(path.join(world.home, 'runs')) : []).toEqual([]);
  });
});
