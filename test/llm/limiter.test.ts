import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Limiter, type Permit } from '../../src/llm/limiter.js';

// Fake timers make time deterministic: Date.now and setTimeout move only when the test advances them.
beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-01T00:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Acquires without awaiting, recording the order and time at which each permit arrives. */
function enqueue(limiter: Limiter, count: number, log: { id: number; at: number; permit: Permit }[], signal?: AbortSignal) {
  const offset = log.length + 1000;
  return Array.from({ length: count }, (_, index) =>
    limiter.acquire(signal).then((permit) => {
      log.push({ id: offset + index, at: Date.now(), permit });
      return permit;
    }),
  );
}

describe('Limiter concurrency', () => {
  it('never has more requests in flight than the concurrency limit', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 3, requestsPerMinute: 600_000 });
    let inFlight = 0;
    let peak = 0;
    const tasks = Array.from({ length: 30 }, async (_, index) => {
      const permit = await limiter.acquire();
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await sleep(5 + (index % 4) * 7);
      inFlight -= 1;
      permit.release({ kind: 'ok' });
    });
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all(tasks);
    expect(peak).toBe(3);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0, sent: 30 });
  });

  it('serves waiters in the order they asked', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 1, requestsPerMinute: 600_000 });
    const order: number[] = [];
    const tasks = [1, 2, 3, 4, 5].map(async (id) => {
      const permit = await limiter.acquire();
      order.push(id);
      await sleep(10);
      permit.release({ kind: 'ok' });
    });
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(tasks);
    expect(order).toEqual([1, 2, 3, 4, 5]);
  });

  it('removes an aborted waiter from the queue and rejects it with the signal reason', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 1, requestsPerMinute: 600_000 });
    const holder = await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    const next = limiter.acquire();
    expect(limiter.stats().queued).toBe(2);
    controller.abort(new Error('run cancelled'));
    await expect(aborted).rejects.toThrow('run cancelled');
    expect(limiter.stats().queued).toBe(1);
    holder.release({ kind: 'ok' });
    const permit = await next;
    expect(limiter.stats()).toMatchObject({ inFlight: 1, queued: 0, sent: 2 });
    permit.release({ kind: 'ok' });
  });

  it('listens once per signal however many calls queue on it, and stops listening when none is left', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 2, requestsPerMinute: 600_000 });
    const controller = new AbortController();
    const running: Permit[] = [];
    const waiting = Array.from({ length: 500 }, () => limiter.acquire(controller.signal).then((permit) => running.push(permit)));
    await Promise.resolve();
    expect(limiter.stats()).toMatchObject({ inFlight: 2, queued: 498 });
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    while (limiter.stats().sent < 500 || running.length > 0) {
      running.shift()?.release({ kind: 'ok' });
      await Promise.resolve();
    }
    await Promise.all(waiting);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('rejects every call queued on an aborted signal and keeps the others in order', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 1, requestsPerMinute: 600_000 });
    const holder = await limiter.acquire();
    const run = new AbortController();
    const other = new AbortController();
    const outcomes: string[] = [];
    const track = (name: string, promise: Promise<Permit>) => promise.then(() => outcomes.push(`${name} started`), () => outcomes.push(`${name} cancelled`));
    const tasks = [track('a', limiter.acquire(run.signal)), track('b', limiter.acquire(other.signal)), track('c', limiter.acquire(run.signal)), track('d', limiter.acquire())];
    run.abort(new Error('run cancelled'));
    holder.release({ kind: 'ok' });
    await vi.waitFor(() => expect(outcomes).toHaveLength(3));
    expect(outcomes.slice(0, 2).sort()).toEqual(['a cancelled', 'c cancelled']);
    expect(outcomes[2]).toBe('b started');
    expect(limiter.stats()).toMatchObject({ inFlight: 1, queued: 1 });
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    void tasks;
  });

  it('rejects at once when the signal is already aborted, without queueing', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 1, requestsPerMinute: 600 });
    const controller = new AbortController();
    controller.abort(new Error('too late'));
    await expect(limiter.acquire(controller.signal)).rejects.toThrow('too late');
    expect(limiter.stats()).toMatchObject({ queued: 0, sent: 0 });
  });

  it('ignores a second release of the same permit', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 2, requestsPerMinute: 600_000 });
    const first = await limiter.acquire();
    await limiter.acquire();
    first.release({ kind: 'ok' });
    first.release({ kind: 'ok' });
    expect(limiter.stats().inFlight).toBe(1);
  });

  it('refuses impossible settings with a message naming the key', () => {
    expect(() => new Limiter({ name: 'x/y', concurrency: 0, requestsPerMinute: 60 })).toThrow(ConfigError);
    expect(() => new Limiter({ name: 'x/y', concurrency: 2, requestsPerMinute: 0 })).toThrow(/requests_per_minute/);
  });
});

describe('Limiter on 429', () => {
  it('halves the limit once for a burst of 429s and starts nothing until retry-after has passed', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 8, requestsPerMinute: 600_000 });
    const permits = await Promise.all(Array.from({ length: 8 }, () => limiter.acquire()));
    const start = Date.now();
    for (const permit of permits) permit.release({ kind: 'rate_limited', retryAfterMs: 2000 });
    expect(limiter.stats()).toMatchObject({ concurrencyLimit: 4, rateLimited: 8, inFlight: 0, pausedUntil: start + 2000 });

    const log: { id: number; at: number; permit: Permit }[] = [];
    enqueue(limiter, 6, log);
    await vi.advanceTimersByTimeAsync(1999);
    expect(log).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toHaveLength(4);
    expect(log.every((entry) => entry.at - start >= 2000)).toBe(true);
    expect(limiter.stats().pausedUntil).toBeUndefined();
  });

  it('halves again for a 429 from a request sent after the last decrease, down to 1', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 4, requestsPerMinute: 600_000 });
    for (const expected of [2, 1, 1]) {
      const permit = await limiter.acquire();
      permit.release({ kind: 'rate_limited', retryAfterMs: 10 });
      expect(limiter.stats().concurrencyLimit).toBe(expected);
      await vi.advanceTimersByTimeAsync(10);
    }
  });

  it('pauses 1 s when no retry-after is given and at most 60 s when a longer one is', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 4, requestsPerMinute: 600_000 });
    (await limiter.acquire()).release({ kind: 'rate_limited' });
    expect(limiter.stats().pausedUntil).toBe(Date.now() + 1000);
    await vi.advanceTimersByTimeAsync(1000);
    (await limiter.acquire()).release({ kind: 'rate_limited', retryAfterMs: 10 * 60_000 });
    expect(limiter.stats().pausedUntil).toBe(Date.now() + 60_000);
  });

  it('grows back by one after a run of successes as long as the limit, up to the configured concurrency', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 8, requestsPerMinute: 600_000 });
    (await limiter.acquire()).release({ kind: 'rate_limited', retryAfterMs: 10 });
    await vi.advanceTimersByTimeAsync(10);
    expect(limiter.stats().concurrencyLimit).toBe(4);
    const succeed = async (times: number) => {
      for (let index = 0; index < times; index++) (await limiter.acquire()).release({ kind: 'ok' });
    };
    await succeed(3);
    expect(limiter.stats().concurrencyLimit).toBe(4);
    await succeed(1);
    expect(limiter.stats().concurrencyLimit).toBe(5);
    await succeed(5 + 6 + 7);
    expect(limiter.stats().concurrencyLimit).toBe(8);
    await succeed(50);
    expect(limiter.stats().concurrencyLimit).toBe(8);
  });

  it('leaves the limit alone on other errors', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 4, requestsPerMinute: 600_000 });
    for (let index = 0; index < 5; index++) (await limiter.acquire()).release({ kind: 'error' });
    expect(limiter.stats()).toMatchObject({ concurrencyLimit: 4, rateLimited: 0, sent: 5 });
    expect(limiter.stats().pausedUntil).toBeUndefined();
  });
});

describe('Limiter pacing', () => {
  it('lets a small burst start at once, then spaces starts at least 60000/rpm ms apart', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 1000, requestsPerMinute: 6000 });
    const log: { id: number; at: number; permit: Permit }[] = [];
    const start = Date.now();
    enqueue(limiter, 300, log);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toHaveLength(100); // burst = 6000 / 60
    await vi.advanceTimersByTimeAsync(500);
    expect(log.length).toBeGreaterThan(140);
    expect(log.length).toBeLessThanOrEqual(100 + 500 / 10 + 1);
    const paced = log.slice(100).map((entry) => entry.at);
    for (let index = 1; index < paced.length; index++) expect(paced[index]! - paced[index - 1]!).toBeGreaterThanOrEqual(10);
    expect(paced[0]! - start).toBeGreaterThanOrEqual(10);
    expect(log.map((entry) => entry.id)).toEqual([...log.map((entry) => entry.id)].sort((a, b) => a - b));
  });

  it('reaches at least 95% of 600 rpm with 200 ms latency and never exceeds it in any 60 s window', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 16, requestsPerMinute: 600 });
    const starts: number[] = [];
    const runMs = 5 * 60_000;
    const end = Date.now() + runMs;
    const worker = async () => {
      while (Date.now() < end) {
        const permit = await limiter.acquire();
        if (Date.now() < end) starts.push(Date.now());
        await sleep(200);
        permit.release({ kind: 'ok' });
      }
    };
    const workers = Array.from({ length: 20 }, worker);
    await vi.advanceTimersByTimeAsync(runMs + 5000);
    await Promise.all(workers);
    expect(starts.length).toBeGreaterThanOrEqual(0.95 * 600 * 5);
    let busiestWindow = 0;
    let windowStart = 0;
    for (let index = 0; index < starts.length; index++) {
      while (starts[index]! - starts[windowStart]! >= 60_000) windowStart++;
      busiestWindow = Math.max(busiestWindow, index - windowStart + 1);
    }
    expect(busiestWindow).toBeLessThanOrEqual(600);
    expect(busiestWindow).toBeGreaterThan(570);
  });

  it('leaves no timer running once idle, even after a pause or an abort', async () => {
    const limiter = new Limiter({ name: 'test/model', concurrency: 4, requestsPerMinute: 60 });
    const permit = await limiter.acquire();
    permit.release({ kind: 'rate_limited', retryAfterMs: 5000 });
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(vi.getTimerCount()).toBe(1);
    controller.abort(new Error('stop'));
    await expect(waiting).rejects.toThrow('stop');
    expect(vi.getTimerCount()).toBe(0);

    await vi.advanceTimersByTimeAsync(5000);
    const log: { id: number; at: number; permit: Permit }[] = [];
    const tasks = enqueue(limiter, 3, log);
    await vi.advanceTimersByTimeAsync(3000);
    expect(log).toHaveLength(2); // the limit is 2 after the 429: the third waits for a slot, not on a timer
    expect(vi.getTimerCount()).toBe(0);
    for (const entry of log.slice()) entry.permit.release({ kind: 'ok' });
    await Promise.all(tasks);
    expect(log).toHaveLength(3);
    log[2]!.permit.release({ kind: 'ok' });
    expect(vi.getTimerCount()).toBe(0);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });
});
