/** Checks every hostile case shares: a clear error, nothing written outside DISTILLERY_HOME, no secret in the result. */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { Client } from '@modelcontextprotocol/client';
import { sentinels, textOf, type TestWorld } from '../helpers.js';

/** Every path under the world except DISTILLERY_HOME, with its kind and size (links are not followed). */
export async function snapshotOutsideHome(world: TestWorld): Promise<string[]> {
  const entries: string[] = [];
  async function walk(dir: string): Promise<void> {
    for (const name of (await readdir(dir)).sort()) {
      const full = path.join(dir, name);
      if (full === world.home) continue;
      const info = await lstat(full);
      entries.push(`${path.relative(world.dir, full)} ${info.isDirectory() ? 'dir' : info.isSymbolicLink() ? 'link' : info.isFIFO() ? 'fifo' : 'file'} ${info.isDirectory() ? '' : info.size}`);
      if (info.isDirectory()) await walk(full);
    }
  }
  await walk(world.dir);
  return entries;
}

export function expectNoSecrets(text: string): void {
  for (const secret of Object.values(sentinels)) expect(text).not.toContain(secret);
}

/** Calls a tool that must refuse: isError, the message matches, the tree outside home is unchanged, no secret. */
export async function expectRefused(client: Client, world: TestWorld, tool: string, args: Record<string, unknown>, message: RegExp | string): Promise<string> {
  const before = await snapshotOutsideHome(world);
  const result = await client.callTool({ name: tool, arguments: args });
  const text = textOf(result);
  expect(result.isError, `${tool} ${JSON.stringify(args)} -> ${text}`).toBe(true);
  if (typeof message === 'string') expect(text).toContain(message);
  else expect(text).toMatch(message);
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expectNoSecrets(JSON.stringify(result));
  expect(await snapshotOutsideHome(world)).toEqual(before);
  return text;
}
