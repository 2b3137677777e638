/**
 * One writing process per DISTILLERY_HOME. The budget guard's holds, the ledger's totals and the
 * catalog live in one process's memory: a second process writing the same home would not see the
 * first one's spending (so together they could pass the hard cap), and at start it would mark the
 * first one's running runs interrupted. `serve` and the run commands take
 * DISTILLERY_HOME/distillery.lock (holding the owner's pid); read-only commands, export and dry runs
 * do not. A lock whose process is gone (killed, crashed) is taken over.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DistilleryError, errorMessage } from '../errors.js';

interface LockOwner {
  pid: number;
  command: string;
  started_at: string;
  host: string;
}

export const lockFileName = 'distillery.lock';

/**
 * Takes the home's lock for this process, or throws `home_locked` naming the process that holds it.
 * A live holder is given `waitMs` to let go first (an MCP client restarting its server).
 */
export async function acquireHomeLock(home: string, command: string, options: { waitMs?: number } = {}): Promise<void> {
  const file = path.join(home, lockFileName);
  const owner: LockOwner = { pid: process.pid, command, started_at: new Date().toISOString(), host: os.hostname() };
  const deadline = Date.now() + (options.waitMs ?? 3000);
  await mkdir(home, { recursive: true });
  // Written whole under a name of our own, then linked into place: link fails if the lock exists,
  // and a reader never sees a half-written lock.
  const draft = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(draft, `${JSON.stringify(owner)}\n`);
  } catch (error) {
    throw new DistilleryError('home_unwritable', `Could not write in DISTILLERY_HOME (${home}): ${errorMessage(error)}. Make it a writable folder.`);
  }
  try {
    for (;;) {
      try {
        await link(draft, file);
        process.once('exit', () => release(file));
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new DistilleryError('home_unwritable', `Could not create ${file}: ${errorMessage(error)}. Make DISTILLERY_HOME (${home}) a writable folder.`);
        }
      }
      const holder = await readOwner(file);
      if (!holder || !isAlive(holder)) {
        // Unreadable, or its process is gone: a leftover of a crash or a kill. Removed only if it is
        // still that leftover (two processes starting in the same instant could otherwise both win).
        if (JSON.stringify(await readOwner(file)) === JSON.stringify(holder)) await unlink(file).catch(() => undefined);
        continue;
      }
      if (Date.now() >= deadline) throw lockedError(file, home, holder);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
}

function lockedError(file: string, home: string, holder: LockOwner): DistilleryError {
  const where = holder.host === os.hostname() ? `pid ${holder.pid}` : `pid ${holder.pid} on ${holder.host}`;
  return new DistilleryError(
    'home_locked',
    `Another Distillery ("${holder.command}", ${where}, since ${holder.started_at}) is using DISTILLERY_HOME ${home}. ` +
      'Two processes writing one home would each miss the other\'s spending and could pass the budget cap together. ' +
      'Use that one (an MCP client\'s server is stopped by quitting the client), let its run finish, or set DISTILLERY_HOME to another folder for this one. ' +
      `Read-only commands (runs, budget, plan, setup), export and --dry-run work meanwhile. If no Distillery is running, delete ${file}.`,
  );
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as Partial<LockOwner>;
    return Number.isInteger(owner.pid) && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the holder may still run. A lock from another host cannot be checked, so it counts as held. */
function isAlive(holder: LockOwner): boolean {
  if (holder.host !== os.hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the lock at exit if it is still this process's. */
function release(file: string): void {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    if (owner.pid === process.pid) unlinkSync(file);
  } catch {
    // Already gone, or replaced: nothing of ours to remove.
  }
}
