import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { App } from '../../src/app.js';
import { connectClient, makeApp, makeWorld, type TestWorld } from '../helpers.js';
import { expectRefused } from './guards.js';

let world: TestWorld;
let app: App;
let client: Client;

beforeAll(async () => {
  const fast = { requests_per_minute: 1_000_000 };
  // 0.01 MB: legal_guide.txt (about 0.1 MB) is a huge file here.
  world = await makeWorld({ corpus: ['legal_guide.txt'], configFile: { limits: { max_file_mb: 0.01 }, providers: { deepseek: fast, openai: fast, anthropic: fast } } });
  const outside = path.join(world.dir, 'outside');
  await mkdir(outside);
  await writeFile(path.join(world.dir, 'secret.txt'), 'a secret that must never be read');
  await writeFile(path.join(outside, 'notes.txt'), 'outside the roots');
  await symlink(path.join(world.dir, 'secret.txt'), path.join(world.docs, 'link.txt'));
  await symlink(outside, path.join(world.docs, 'linked-folder'));
  await symlink('/dev/zero', path.join(world.docs, 'zero.txt'));
  await symlink('/dev/urandom', path.join(world.docs, 'random.md'));
  execFileSync('mkfifo', [path.join(world.docs, 'pipe.txt')]);
  await writeFile(path.join(world.docs, 'latin1.txt'), Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0xff, 0xfe, 0x0a]));
  await writeFile(path.join(world.docs, 'binary.txt'), Buffer.from('plain text\0then binary\0'));
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await client.close();
  await app.close();
  await world.cleanup();
});

const outsideRoots = /outside the allowed roots/;
const notFound = /No document named .* was found/;

describe('distill_file refuses hostile documents with a clear error and reads nothing outside the roots', () => {
  const cases: [string, () => string, RegExp][] = [
    ['parent traversal', () => '../secret.txt', outsideRoots],
    ['deep traversal', () => '../../../../../../etc/passwd', outsideRoots],
    ['traversal after a folder', () => 'linked-folder/../../secret.txt', outsideRoots],
    ['absolute path outside', () => '/etc/passwd', outsideRoots],
    ['absolute path climbing out of a root', () => `${world.docs}/../secret.txt`, outsideRoots],
    ['percent-encoded dots', () => '%2e%2e/secret.txt', notFound],
    ['percent-encoded slash', () => '..%2fsecret.txt', notFound],
    ['backslash traversal', () => '..\\secret.txt', notFound],
    ['doubled dots', () => '....//secret.txt', notFound],
    ['file URL', () => `file://${world.dir}/secret.txt`, /No document named|outside the allowed roots/],
    ['symlink to a file outside', () => 'link.txt', outsideRoots],
    ['symlinked folder outside', () => 'linked-folder/notes.txt', outsideRoots],
    ['device by absolute path', () => '/dev/zero', outsideRoots],
    ['/dev/urandom by absolute path', () => '/dev/urandom', outsideRoots],
    ['symlink to /dev/zero', () => 'zero.txt', outsideRoots],
    ['symlink to /dev/urandom', () => 'random.md', outsideRoots],
    ['a FIFO', () => 'pipe.txt', /pipe.txt is not a regular file \(it is a device, pipe or socket\)/],
    ['a file over limits.max_file_mb', () => 'legal_guide.txt', /legal_guide.txt is 0.1 MB, over the 0.010 MB limit.*limits.max_file_mb/],
    ['invalid UTF-8', () => 'latin1.txt', /latin1.txt is not valid UTF-8 text. Convert it to UTF-8/],
    ['NUL bytes in the file', () => 'binary.txt', /binary.txt contains NUL bytes/],
    ['NUL byte in the path', () => 'legal\0guide.txt', /not a valid path/],
    ['blank path', () => '   ', /empty or not a valid path/],
  ];
  it.each(cases)('%s', async (_label, pathOf, message) => {
    await expectRefused(client, world, 'distill_file', { path: pathOf(), dry_run: true }, message);
  });
});

describe('every numeric argument refuses negative, absurd and NaN-ish values, naming the argument', () => {
  const distill = { path: 'latin1.txt', dry_run: true };
  const cascade = { domain: 'legal', samples: 10, dry_run: true };
  const plan = (goals: Record<string, unknown>) => ({ goals });
  // [tool, argument name, arguments with the value in place]
  const numeric: [string, string, (value: unknown) => Record<string, unknown>][] = [
    ['distill_file', 'pairs_per_chunk', (v) => ({ ...distill, pairs_per_chunk: v })],
    ['distill_file', 'chunk_tokens', (v) => ({ ...distill, chunk_tokens: v })],
    ['distill_file', 'overlap_tokens', (v) => ({ ...distill, overlap_tokens: v })],
    ['distill_file', 'min_score', (v) => ({ ...distill, min_score: v })],
    ['distill_file', 'max_usd', (v) => ({ ...distill, max_usd: v })],
    ['start_cascade', 'samples', (v) => ({ ...cascade, samples: v })],
    ['start_cascade', 'golden_fraction', (v) => ({ ...cascade, golden_fraction: v })],
    ['start_cascade', 'pairs_per_call', (v) => ({ ...cascade, pairs_per_call: v })],
    ['start_cascade', 'min_score', (v) => ({ ...cascade, min_score: v })],
    ['start_cascade', 'max_usd', (v) => ({ ...cascade, max_usd: v })],
    ['start_ensemble', 'samples', (v) => ({ domain: 'legal', dry_run: true, samples: v })],
    ['start_ensemble', 'min_score', (v) => ({ domain: 'legal', dry_run: true, min_score: v })],
    ['start_ensemble', 'min_agreement', (v) => ({ domain: 'legal', dry_run: true, min_agreement: v })],
    ['start_ensemble', 'max_usd', (v) => ({ domain: 'legal', dry_run: true, max_usd: v })],
    ['review_samples', 'min_score', (v) => ({ min_score: v })],
    ['review_samples', 'max_score', (v) => ({ max_score: v })],
    ['review_samples', 'limit', (v) => ({ limit: v })],
    ['review_samples', 'max_chars', (v) => ({ max_chars: v })],
    ['export_dataset', 'min_score', (v) => ({ min_score: v })],
    ['plan_budget', 'budget_usd', (v) => ({ budget_usd: v })],
    ['plan_budget', 'pairs_per_chunk', (v) => plan({ documents: [{ path: 'latin1.txt', pairs_per_chunk: v }] })],
    ['plan_budget', 'samples', (v) => plan({ cascades: [{ domain: 'legal', samples: v }] })],
    ['plan_budget', 'samples', (v) => plan({ ensembles: [{ domain: 'legal', samples: v }] })],
    ['set_budget', 'monthly_budget_usd', (v) => ({ monthly_budget_usd: v })],
    ['resume_run', 'max_usd', (v) => ({ run_id: 'r-nope', max_usd: v })],
    ['run_status', 'wait_seconds', (v) => ({ wait_seconds: v })],
    ['list_runs', 'limit', (v) => ({ limit: v })],
  ];
  // JSON has no NaN or Infinity: a client sends a string, a huge number or null instead.
  const values: [string, unknown][] = [['negative', -1], ['absurd', 1e308], ['NaN as text', 'NaN'], ['Infinity as text', 'Infinity']];
  const cases = numeric.flatMap(([tool, name, args]) => values.map(([label, value]) => [`${tool} ${name} ${label}`, tool, name, args(value)] as const));
  it.each(cases)('%s', async (_label, tool, name, args) => {
    await expectRefused(client, world, tool, args, new RegExp(`Invalid arguments for tool ${tool}: (\\S+\\.)?${name}: `));
  });
});

describe('unknown run ids', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['run_status', { run_id: 'r-does-not-exist' }, 'r-does-not-exist'],
    ['resume_run', { run_id: 'r-does-not-exist' }, 'r-does-not-exist'],
    ['cancel_run', { run_id: 'r-does-not-exist' }, 'r-does-not-exist'],
    ['review_samples', { run_id: 'r-does-not-exist' }, 'r-does-not-exist'],
    ['export_dataset', { run_ids: ['r-does-not-exist'] }, 'r-does-not-exist'],
    ['run_status', { run_id: '../../../etc/passwd' }, '../../../etc/passwd'],
    ['review_samples', { run_id: '../catalog.json' }, '../catalog.json'],
  ];
  it.each(cases)('%s %j', async (tool, args, id) => {
    await expectRefused(client, world, tool, args, `No run "${id}". list_runs shows the runs there are.`);
  });
});
