import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { acquireHomeLock, lockFileName } from '../../src/store/home-lock.js';
import { FakeProviderServer } from '../fakes/provider-server.js';
import { distilleryResponder } from '../fakes/distillery-responder.js';
import { cliCommand, makeWorld, type TestWorld } from '../helpers.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('acquireHomeLock', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await makeWorld();
  });
  afterAll(() => world.cleanup());

  it('takes the lock with this pid, and refuses a second taker while the holder lives, naming it and what to do', async () => {
    const home = path.join(world.dir, 'held');
    await acquireHomeLock(home, 'serve');
    const owner = JSON.parse(await readFile(path.join(home, lockFileName), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, command: 'serve', host: os.hostname() });
    const refused = await acquireHomeLock(home, 'cascade', { waitMs: 200 }).then(() => undefined, (error: Error & { code?: string }) => error);
    expect(refused?.code).toBe('home_locked');
    expect(refused?.message).toContain(`("serve", pid ${process.pid}`);
    expect(refused?.message).toContain('set DISTILLERY_HOME to another folder');
    expect(refused?.message).toContain(path.join(home, lockFileName));
    // No draft left behind by the refused attempt.
    expect(await readdir(home)).toEqual([lockFileName]);
  });

  it('takes over a lock left by a process that is gone, and one that cannot be read', async () => {
    for (const leftover of [JSON.stringify({ pid: deadPid(), command: 'cascade', started_at: '2026-11-01T00:00:00Z', host: os.hostname() }), '{"pid": tor']) {
      const home = path.join(world.dir, `stale-${leftover.length}`);
      await mkdir(home, { recursive: true });
      await writeFile(path.join(home, lockFileName), leftover);
      await acquireHomeLock(home, 'resume', { waitMs: 200 });
      expect(JSON.parse(await readFile(path.join(home, lockFileName), 'utf8'))).toMatchObject({ pid: process.pid, command: 'resume' });
    }
  });
});

describe('one writing process per DISTILLERY_HOME', () => {
  let fake: FakeProviderServer;
  let world: TestWorld;
  beforeAll(async () => {
    fake = await FakeProviderServer.start({ responder: distilleryResponder });
    world = await makeWorld({ fake });
  });
  afterAll(async () => {
    await world.cleanup();
    await fake.close();
  });

  const cli = (args: string[]) =>
    new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], { cwd: world.dir, env: { ...process.env, ...world.env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += String(chunk)));
      child.stderr.on('data', (chunk) => (output += String(chunk)));
      child.on('exit', (code) => resolve({ code, output }));
    });

  it('refuses a run command while the MCP server holds the home, allows read-only commands and dry runs, and frees the home when the server stops', async () => {
    const server = spawn(cliCommand[0], [...cliCommand.slice(1), 'serve'], { cwd: world.dir, env: { ...process.env, ...world.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const lock = path.join(world.home, lockFileName);
    try {
      let serverOutput = '';
      server.stderr.on('data', (chunk) => (serverOutput += String(chunk)));
      // Until serve takes the lock or exits (the test timeout bounds a hang): no deadline a slow machine could miss.
      onTestFailed(() => console.error(`serve's output:\n${serverOutput}`));
      while (!existsSync(lock)) {
        if (server.exitCode !== null) throw new Error(`serve exited without taking the lock:\n${serverOutput}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const refused = await cli(['cascade', '--samples', '10', '--domain', 'medical']);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(`Another Distillery ("serve", pid ${server.pid}`);
      expect(fake.requests).toHaveLength(0);
      const dry = await cli(['cascade', '--samples', '10', '--domain', 'medical', '--dry-run']);
      expect(dry.code, dry.output).toBe(0);
      expect((await cli(['runs'])).code).toBe(0);
      expect(JSON.parse(await readFile(lock, 'utf8')).pid).toBe(server.pid);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.stdin.end();
      await exited;
    }
    expect(existsSync(lock)).toBe(false);
    const run = await cli(['cascade', '--samples', '10', '--domain', 'medical']);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toMatch(/Started run r-\S+/);
    expect(existsSync(lock)).toBe(false);
  });
});
