import { mkdtemp, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyUsage } from '../../src/llm/types.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import { Ledger, type LedgerEntry } from '../../src/store/ledger.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'distillery-ledger-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function entry(overrides: Partial<LedgerEntry>): LedgerEntry {
  return {
    at: '2026-11-05T10:00:00.000Z',
    month: '2026-11',
    stage: 'distill.generate',
    provider: 'deepseek',
    model: 'deepseek-v4-flash',
    usage: { ...emptyUsage(), inputTokens: 1000, outputTokens: 200 },
    reservedUsd: 0.01,
    costUsd: 0.004,
    outcome: 'ok',
    durationMs: 1200,
    ...overrides,
  };
}

describe('Ledger', () => {
  it('counts an entry before the write is awaited, and writes one file per month', async () => {
    const ledger = await Ledger.open(home);
    const pending = ledger.append(entry({ runId: 'r-1', costUsd: 0.5 }));
    expect(ledger.totals('2026-11').spentUsd).toBe(0.5);
    await pending;
    await ledger.append(entry({ month: '2026-10', at: '2026-10-30T00:00:00Z', costUsd: 0.25, runId: 'r-1' }));
    await ledger.close();
    expect((await readdir(path.join(home, 'ledger'))).sort()).toEqual(['2026-10.jsonl', '2026-11.jsonl']);
    expect(await readJsonlArray(path.join(home, 'ledger', '2026-11.jsonl'))).toHaveLength(1);
  });

  it('rebuilds the same totals on reopen, skipping a torn last line', async () => {
    const ledger = await Ledger.open(home);
    await ledger.append(entry({ runId: 'r-1', costUsd: 0.5 }));
    await ledger.append(entry({ runId: 'r-2', costUsd: 0.25, provider: 'anthropic', model: 'claude-haiku-5-5', stage: 'distill.validate' }));
    await ledger.append(entry({ costUsd: 0.125, outcome: 'error', error: 'timeout' }));
    await ledger.append(entry({ month: '2026-09', runId: 'r-1', costUsd: 1 }));
    const before = ledger.totals('2026-11');
    await ledger.close();
    await appendFile(path.join(home, 'ledger', '2026-11.jsonl'), '{"at":"2026-11-06","costUsd":9');

    const reopened = await Ledger.open(home);
    expect(reopened.totals('2026-11')).toEqual(before);
    expect(before).toEqual({
      month: '2026-11',
      spentUsd: 0.875,
      calls: 3,
      byProvider: { deepseek: 0.625, anthropic: 0.25 },
      byStage: { 'distill.generate': 0.625, 'distill.validate': 0.25 },
      byRun: { 'r-1': 0.5, 'r-2': 0.25 },
      byModel: { 'deepseek/deepseek-v4-flash': 0.625, 'anthropic/claude-haiku-5-5': 0.25 },
      byDay: { '2026-11-05': 0.875 },
    });
    expect(reopened.runSpent('r-1')).toBe(1.5);
    expect(reopened.months()).toEqual(['2026-11', '2026-09']);
    expect(reopened.totals('2030-01')).toMatchObject({ spentUsd: 0, calls: 0, byRun: {} });

    // The torn line is cut off on the next append, so the file stays readable.
    await reopened.append(entry({ costUsd: 0.125 }));
    await reopened.close();
    expect(await readJsonlArray(path.join(home, 'ledger', '2026-11.jsonl'))).toHaveLength(4);
  });

  it('refuses an entry with a bad month or cost without counting it', async () => {
    const ledger = await Ledger.open(home);
    await expect(ledger.append(entry({ month: '../x' }))).rejects.toThrow(/YYYY-MM/);
    await expect(ledger.append(entry({ costUsd: Number.NaN }))).rejects.toThrow(/non-negative/);
    expect(ledger.months()).toEqual([]);
    await ledger.close();
  });

  it('surfaces a write failure while keeping the cost counted (the call was made)', async () => {
    await writeFile(path.join(home, 'ledger'), 'a file where the directory should be');
    await expect(Ledger.open(home)).rejects.toThrow(`Could not read the cost ledger in ${path.join(home, 'ledger')}`);
    await rm(path.join(home, 'ledger'));
    const working = await Ledger.open(home);
    await writeFile(path.join(home, 'ledger'), 'blocked again');
    await expect(working.append(entry({ costUsd: 0.5 }))).rejects.toThrow(path.join(home, 'ledger', '2026-11.jsonl'));
    expect(working.totals('2026-11').spentUsd).toBe(0.5);
    await working.close();
  });
});
