import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { connectClient, existsSync, makeApp, makeWorld, textOf, type TestWorld } from '../helpers.js';
import type { App } from '../../src/app.js';
import type { Client } from '@modelcontextprotocol/client';

let fake: FakeProviderServer;
let world: TestWorld;
let app: App;
let client: Client;

beforeAll(async () => {
  fake = await FakeProviderServer.start();
  world = await makeWorld({ fake, corpus: ['legal_guide.txt'] });
  const outside = path.join(world.dir, 'outside');
  await mkdir(outside);
  await writeFile(path.join(outside, 'secret.txt'), 'Outside the roots. '.repeat(50));
  await symlink(path.join(outside, 'secret.txt'), path.join(world.docs, 'escape.txt'));
  await writeFile(path.join(world.docs, 'empty.txt'), '');
  await writeFile(path.join(world.docs, 'binary.txt'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0xff, 0xfe, 0x00, 0x01]));
  await writeFile(path.join(world.docs, 'latin1.txt'), Buffer.from('Caf\xe9 cr\xe8me, na\xefve r\xe9sum\xe9. '.repeat(20), 'latin1'));
  await mkdir(path.join(world.docs, 'a'));
  await mkdir(path.join(world.docs, 'b'));
  await writeFile(path.join(world.docs, 'a', 'notes.md'), '# Notes\n\nSome text about tests and more text.\n');
  await writeFile(path.join(world.docs, 'b', 'notes.md'), '# Notes\n\nOther text about tests and more text.\n');
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await app.close();
  await world.cleanup();
  await fake.close();
});

async function refused(args: Record<string, unknown>, pattern: RegExp) {
  const result = await client.callTool({ name: 'distill_file', arguments: args });
  expect(result.isError, textOf(result)).toBe(true);
  expect(textOf(result)).toMatch(pattern);
  expect(fake.requests.length).toBe(0);
  expect(existsSync(path.join(world.home, 'runs')) ? await readdir(path.join(world.home, 'runs')) : []).toEqual([]);
}

describe('distill_file input safety', () => {
  it('refuses path traversal out of the roots and writes nothing', () => refused({ path: '../outside/secret.txt' }, /outside the allowed roots/));
  it('refuses an absolute path outside the roots', () => refused({ path: '/etc/passwd' }, /outside the allowed roots|not a \.txt or \.md/));
  it('refuses a symlink that escapes the roots', () => refused({ path: 'escape.txt' }, /outside the allowed roots/));
  it('refuses an empty file', () => refused({ path: 'empty.txt' }, /empty/i));
  it('refuses a binary file', () => refused({ path: 'binary.txt' }, /binary/i));
  it('refuses a file that is not UTF-8, saying to convert it', () => refused({ path: 'latin1.txt' }, /UTF-8/));
  it('refuses a file type it cannot read', () => refused({ path: '/dev/null' }, /outside the allowed roots|not a regular file|\.txt or \.md/));
  it('asks which one when a bare name matches several files', () => refused({ path: 'notes.md' }, /a[\\/]notes\.md[\s\S]*b[\\/]notes\.md|b[\\/]notes\.md[\s\S]*a[\\/]notes\.md/));
  it('says where it looked when a name matches nothing', () => refused({ path: 'nothing-here.txt' }, new RegExp(world.docs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))));
  it('rejects absurd numbers with the argument name', async () => {
    const result = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: -3 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/pairs_per_chunk/);
  });
  it('finds a bare name and estimates it with dry_run', async () => {
    const result = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', dry_run: true } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toMatch(/^Dry run, nothing spent\. legal_guide\.txt: \d+ chunks/);
  });
  it('lists the documents in the roots with sizes and rough costs', async () => {
    const result = await client.callTool({ name: 'list_documents', arguments: {} });
    const documents = (result.structuredContent as { documents: { relative: string; bytes: number }[] }).documents;
    expect(documents.map((d) => d.relative)).toEqual(expect.arrayContaining(['legal_guide.txt', path.join('a', 'notes.md')]));
    expect(documents.find((d) => d.relative === 'legal_guide.txt')?.bytes).toBe(126663);
  });
});
