/**
 * One limiter per provider and model: a FIFO queue in front of an adaptive concurrency limit (AIMD:
 * halve on 429, grow by one after a run of successes) and a requests-per-minute pace (pace.ts) that
 * follows the limits the provider reports. Every attempt the engine sends passes through here, so
 * 429s, retry-after and the rate-limit headers are honoured in one place.
 */
import { ConfigError } from '../errors.js';
import { Pace, type PaceLimits, type TokenUse } from './pace.js';
import type { RateLimitReport } from './rate-limit-headers.js';

export interface LimiterOptions {
  /** Shown in stats and errors, e.g. `deepseek/deepseek-v4-flash`. */
  name: string;
  concurrency: number;
  requestsPerMinute: number;
  /** Whether requestsPerMinute was set in config (a cap learned limits never pass) or is a guess; default config. */
  source?: 'config' | 'default';
  now?: () => number;
}

/** How a request went, with the provider's rate-limit headers and the tokens it counted when known. */
export type Outcome = ({ kind: 'ok'; tokens?: TokenUse } | { kind: 'rate_limited'; retryAfterMs?: number } | { kind: 'error' }) & { limits?: RateLimitReport };

export interface Permit {
  /** Frees the slot and reports how the request went; calls after the first are ignored. */
  release(outcome: Outcome): void;
}

export interface LimiterStats {
  name: string;
  inFlight: number;
  queued: number;
  concurrencyLimit: number;
  maxConcurrency: number;
  rateLimited: number;
  pausedUntil?: number;
  sent: number;
  limits: PaceLimits;
}

interface Waiter {
  resolve: (permit: Permit) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  /** Counted in its signal's watch: it had to queue. */
  watched?: boolean;
}

/** One abort listener per signal with queued waiters: a run queues thousands of calls on one signal. */
interface Watch {
  waiting: number;
  onAbort: () => void;
}

const defaultRetryAfterMs = 1000;
const maxRetryAfterMs = 60_000;

export class Limiter {
  private readonly name: string;
  private readonly maxConcurrency: number;
  private readonly now: () => number;
  private readonly queue: Waiter[] = [];
  private readonly watches = new Map<AbortSignal, Watch>();
  private limit: number;
  private inFlight = 0;
  private sent = 0;
  private rateLimited = 0;
  private successStreak = 0;
  private pausedUntil = 0;
  /** Bumped on every decrease, so 429s from requests sent before it do not halve the limit again. */
  private epoch = 0;
  private readonly pace: Pace;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LimiterOptions) {
    const { name, concurrency, requestsPerMinute } = options;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new ConfigError(`Limiter ${name}: concurrency must be a whole number of at least 1 (got ${concurrency}). Fix the provider's "concurrency" in the config file.`);
    }
    if (!Number.isFinite(requestsPerMinute) || requestsPerMinute < 1) {
      throw new ConfigError(`Limiter ${name}: requests_per_minute must be at least 1 (got ${requestsPerMinute}). Fix the provider's "requests_per_minute" in the config file.`);
    }
    this.name = name;
    this.maxConcurrency = concurrency;
    this.limit = concurrency;
    this.now = options.now ?? (() => Date.now());
    this.pace = new Pace({ requestsPerMinute, source: options.source ?? 'config', now: this.now() });
  }

  /** Waits for a slot under the concurrency limit and the rpm pace, first come first served. */
  acquire(signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      this.queue.push(waiter);
      this.pump();
      // Only a waiter left in the queue needs to hear about an abort.
      if (signal && this.queue.at(-1) === waiter) {
        waiter.watched = true;
        this.watch(signal);
      }
    });
  }

  private watch(signal: AbortSignal): void {
    const watch = this.watches.get(signal);
    if (watch) {
      watch.waiting += 1;
      return;
    }
    const onAbort = () => {
      this.watches.delete(signal);
      let kept = 0;
      for (const waiter of this.queue) {
        if (waiter.signal === signal) waiter.reject(signal.reason);
        else this.queue[kept++] = waiter;
      }
      this.queue.length = kept;
      this.pump();
    };
    this.watches.set(signal, { waiting: 1, onAbort });
    signal.addEventListener('abort', onAbort, { once: true });
  }

  private unwatch(signal: AbortSignal): void {
    const watch = this.watches.get(signal);
    if (!watch || --watch.waiting > 0) return;
    this.watches.delete(signal);
    signal.removeEventListener('abort', watch.onAbort);
  }

  stats(): LimiterStats {
    const now = this.now();
    return {
      name: this.name,
      inFlight: this.inFlight,
      queued: this.queue.length,
      concurrencyLimit: this.limit,
      maxConcurrency: this.maxConcurrency,
      rateLimited: this.rateLimited,
      ...(this.pausedUntil > now ? { pausedUntil: this.pausedUntil } : {}),
      sent: this.sent,
      limits: this.pace.limits(),
    };
  }

  /** Starts as many waiters as the limits allow, then sleeps until the next one could start. */
  private pump(): void {
    while (this.queue.length > 0) {
      // A release will call pump again, so no timer is needed while every slot is taken.
      if (this.inFlight >= this.limit) break;
      const now = this.now();
      if (now < this.pausedUntil) return this.wakeIn(this.pausedUntil - now);
      const wait = this.pace.delayMs(now, this.sent, this.inFlight);
      // Waiting for an answer: its release pumps again.
      if (wait === Infinity) break;
      if (wait > 0) return this.wakeIn(wait);
      this.pace.take(now);
      this.start(this.queue.shift()!);
    }
    this.clearTimer();
  }

  private start(waiter: Waiter): void {
    if (waiter.watched) this.unwatch(waiter.signal!);
    this.inFlight += 1;
    this.sent += 1;
    const epoch = this.epoch;
    const seq = this.sent;
    const startedAt = this.now();
    let released = false;
    waiter.resolve({
      release: (outcome) => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
        this.pace.observe(this.now(), seq, startedAt, outcome.limits, outcome.kind === 'ok' ? outcome.tokens : undefined);
        this.finish(outcome, epoch);
      },
    });
  }

  private finish(outcome: Outcome, epoch: number): void {
    if (outcome.kind === 'rate_limited') {
      this.rateLimited += 1;
      this.successStreak = 0;
      const requested = outcome.retryAfterMs;
      const waitMs = requested !== undefined && Number.isFinite(requested) && requested >= 0 ? requested : defaultRetryAfterMs;
      // Only a request sent since the last decrease can halve again: one burst of 429s halves once.
      if (epoch === this.epoch) {
        this.limit = Math.max(1, Math.floor(this.limit / 2));
        this.epoch += 1;
      }
      this.pausedUntil = Math.max(this.pausedUntil, this.now() + Math.min(waitMs, maxRetryAfterMs));
    } else if (outcome.kind === 'ok') {
      this.successStreak += 1;
      if (this.successStreak >= this.limit && this.limit < this.maxConcurrency) {
        this.limit += 1;
        this.successStreak = 0;
      }
    }
    this.pump();
  }

  private wakeIn(delayMs: number): void {
    this.clearTimer();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, Math.ceil(delayMs)),
    );
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
