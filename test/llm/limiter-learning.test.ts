/** The limiter's pace follows the limits a provider reports (limiter.ts, pace.ts), on fake timers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Limiter, type Permit } from '../../src/llm/limiter.js';
import type { RateLimitReport } from '../../src/llm/rate-limit-headers.js';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Acquires `count` permits without awaiting; `started` holds those granted so far. */
function enqueue(limiter: Limiter, count: number) {
  const started: Permit[] = [];
  const all = Array.from({ length: count }, () =>
    limiter.acquire().then((permit) => {
      started.push(permit);
      return permit;
    }),
  );
  return { started, all };
}

/** The most starts in any 60 s. */
function busiestMinute(starts: number[]): number {
  let busiest = 0;
  let from = 0;
  for (let index = 0; index < starts.length; index++) {
    while (starts[index]! - starts[from]! >= 60_000) from++;
    busiest = Math.max(busiest, index - from + 1);
  }
  return busiest;
}

describe('Limiter learning limits from the provider', () => {
  it('sends the first call of a guessed pace alone, then paces at the reported rpm and never passes it in any minute', async () => {
    const limiter = new Limiter({ name: 'openai/m', concurrency: 16, requestsPerMinute: 600, source: 'default' });
    const starts: number[] = [];
    const end = Date.now() + 3 * 60_000;
    // Answers as a sliding-window server would: what is left of 60 in the minute before the request arrived.
    const worker = async () => {
      while (Date.now() < end) {
        const permit = await limiter.acquire();
        const at = Date.now();
        if (at < end) starts.push(at);
        const remaining = 60 - starts.filter((start) => start > at - 60_000).length;
        await sleep(200);
        permit.release({ kind: 'ok', limits: { requests: { limit: 60, remaining, resetMs: 60_000 } } });
      }
    };
    const workers = Array.from({ length: 20 }, worker);
    await vi.advanceTimersByTimeAsync(100);
    expect(starts).toHaveLength(1);
    expect(limiter.stats().limits).toEqual({ requestsPerMinute: 600, source: 'default' });
    // The workers still queued at the end start one a second, then stop.
    await vi.advanceTimersByTimeAsync(3 * 60_000 + 30_000);
    await Promise.all(workers);
    expect(limiter.stats().limits).toMatchObject({ requestsPerMinute: 60, source: 'headers', reported: { requestsPerMinute: 60 } });
    expect(busiestMinute(starts)).toBeLessThanOrEqual(60);
    expect(starts.length).toBeGreaterThanOrEqual(0.95 * 60 * 3);
  });

  it('keeps the guessed pace when the provider sends no limit headers (DeepSeek)', async () => {
    const limiter = new Limiter({ name: 'deepseek/m', concurrency: 32, requestsPerMinute: 600, source: 'default' });
    const probe = await limiter.acquire();
    probe.release({ kind: 'ok' });
    const { started } = enqueue(limiter, 20);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(9); // the burst of 600 / 60, less the probe's start
    expect(limiter.stats().limits).toEqual({ requestsPerMinute: 600, source: 'default' });
  });

  it('rises above the built-in guess when the provider reports more', async () => {
    const limiter = new Limiter({ name: 'anthropic/m', concurrency: 16, requestsPerMinute: 500, source: 'default' });
    (await limiter.acquire()).release({ kind: 'ok', limits: { requests: { limit: 4000, remaining: 3999 } } });
    expect(limiter.stats().limits).toMatchObject({ requestsPerMinute: 4000, source: 'headers' });
  });

  it('never goes above a requests_per_minute set in config, but follows a lower reported limit', async () => {
    const limiter = new Limiter({ name: 'openai/m', concurrency: 16, requestsPerMinute: 100 });
    (await limiter.acquire()).release({ kind: 'ok', limits: { requests: { limit: 6000 } } });
    expect(limiter.stats().limits).toMatchObject({ requestsPerMinute: 100, source: 'config', reported: { requestsPerMinute: 6000 } });
    const next = limiter.acquire();
    await vi.advanceTimersByTimeAsync(1000);
    (await next).release({ kind: 'ok', limits: { requests: { limit: 50 } } });
    expect(limiter.stats().limits).toMatchObject({ requestsPerMinute: 50, source: 'headers', reported: { requestsPerMinute: 50 } });
  });

  it('turns tokens per minute into requests per minute from the tokens calls use', async () => {
    const openai = new Limiter({ name: 'openai/m', concurrency: 16, requestsPerMinute: 500, source: 'default' });
    const tokens = { input: 1500, output: 500 };
    (await openai.acquire()).release({ kind: 'ok', tokens, limits: { requests: { limit: 5000 }, tokens: { limit: 60_000 } } });
    expect(openai.stats().limits).toMatchObject({ requestsPerMinute: 30, reported: { requestsPerMinute: 5000, tokensPerMinute: 60_000 } });

    const anthropic = new Limiter({ name: 'anthropic/m', concurrency: 16, requestsPerMinute: 500, source: 'default' });
    const limits: RateLimitReport = { requests: { limit: 50 }, inputTokens: { limit: 40_000 }, outputTokens: { limit: 8000 } };
    (await anthropic.acquire()).release({ kind: 'ok', tokens: { input: 1000, output: 400 }, limits });
    expect(anthropic.stats().limits).toMatchObject({ requestsPerMinute: 20, reported: { inputTokensPerMinute: 40_000, outputTokensPerMinute: 8000 } });
  });

  it('starts no more than the reported remaining requests until they refill toward the reset', async () => {
    const limiter = new Limiter({ name: 'openai/m', concurrency: 100, requestsPerMinute: 6000 });
    (await limiter.acquire()).release({ kind: 'ok', limits: { requests: { limit: 6000, remaining: 3, resetMs: 60_000 } } });
    const { started, all } = enqueue(limiter, 10);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(3);
    // (6000 - 3) requests come back evenly over the 60 s: about one every 10 ms.
    await vi.advanceTimersByTimeAsync(25);
    expect(started.length).toBeGreaterThan(3);
    expect(started.length).toBeLessThanOrEqual(6);
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toHaveLength(10);
    for (const permit of await Promise.all(all)) permit.release({ kind: 'ok' });
  });

  it('lets the answer of the latest start, not a late answer of an earlier one, say what is left', async () => {
    const limiter = new Limiter({ name: 'openai/m', concurrency: 10, requestsPerMinute: 6000 });
    const early = await limiter.acquire();
    const late = await limiter.acquire();
    late.release({ kind: 'ok', limits: { requests: { limit: 6000, remaining: 0, resetMs: 60_000 } } });
    early.release({ kind: 'ok', limits: { requests: { limit: 6000, remaining: 5000, resetMs: 60_000 } } });
    const { started, all } = enqueue(limiter, 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(started).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(started.length).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(1000);
    for (const permit of await Promise.all(all)) permit.release({ kind: 'ok' });
  });
});
