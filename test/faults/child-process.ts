/** Helpers for fault tests: the CLI in a child process, and counting journal lines while it runs. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cliCommand, type TestWorld } from '../helpers.js';

export interface CliChild {
  kill(): void;
  exited: Promise<number | null>;
  hasExited(): boolean;
  output(): string;
}

export function cli(world: TestWorld, args: string[]): CliChild {
  const child = spawn(cliCommand[0], [...cliCommand.slice(1), ...args], {
    cwd: world.dir,
    env: { ...process.env, ...world.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let done = false;
  child.stdout.on('data', (chunk) => (output += String(chunk)));
  child.stderr.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    }),
  );
  return { kill: () => child.kill('SIGKILL'), exited, hasExited: () => done, output: () => output };
}

/** Complete lines of a JSONL file, 0 when it does not exist yet. */
export function lineCount(file: string): number {
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}

/** The id of the only run in the world's catalog, once the catalog exists. */
export function firstRunId(world: TestWorld): string | undefined {
  const file = path.join(world.home, 'catalog.json');
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')).runs[0]?.id;
  } catch {
    // The catalog is written atomically; a parse failure here is a real corruption, asserted by the caller.
    return undefined;
  }
}

/** Deterministic fractions in [low, high), sorted: the kill moments of a seeded "random" schedule. */
export function seededFractions(seed: number, count: number, low: number, high: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => low + next() * (high - low)).sort((a, b) => a - b);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
