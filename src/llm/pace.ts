/**
 * The request pace of one limiter. It starts at the configured requests per minute (or the built-in
 * guess) and follows what the provider reports on each answer: its requests and tokens per minute
 * set the rate, never above a value set in config, and what is left before the reset bounds how
 * many more may start. A token bucket spaces the starts: `burst` at once after idle, then evenly.
 */
import type { RateDimension, RateLimitReport, RateWindow } from './rate-limit-headers.js';

export type LimitSource = 'headers' | 'config' | 'default';

export interface PaceLimits {
  /** The pace in force. */
  requestsPerMinute: number;
  source: LimitSource;
  /** What the provider reported, when it did. */
  reported?: { requestsPerMinute?: number; tokensPerMinute?: number; inputTokensPerMinute?: number; outputTokensPerMinute?: number };
  /** When the provider last reported its limits (epoch ms). */
  learnedAt?: number;
}

/** Tokens one answered request counted, for turning token limits into requests. */
export interface TokenUse {
  input: number;
  output: number;
}

/** Requests the provider still allows: `remaining` counted from the start numbered `fromSent`, refilled evenly until `until`. */
interface Allowance {
  remaining: number;
  fromSent: number;
  startedAt: number;
  refillPerMs: number;
  until: number;
}

const minuteMs = 60_000;
/** Limits are per minute: a window is full again within a minute, whatever a reset says (a daily limit is left to its 429). */
const longestResetMs = minuteMs;
const reportedKeys = { requests: 'requestsPerMinute', tokens: 'tokensPerMinute', inputTokens: 'inputTokensPerMinute', outputTokens: 'outputTokensPerMinute' } as const;
/** Weight of the newest answer in the running average of tokens per request. */
const averageWeight = 0.1;

export class Pace {
  private readonly cap: number | undefined;
  private readonly base: number;
  private readonly source: 'config' | 'default';
  private requestsPerMinute = 0;
  private burst = 1;
  private refillPerMs = 0;
  private tokens = 0;
  private lastRefill: number;
  /** A guessed pace sends the first request alone, so its answer's headers set the pace before any burst. */
  private probing: boolean;
  /** The latest limit the provider reported per dimension. */
  private readonly limitsSeen: Partial<Record<RateDimension, number>> = {};
  private learnedAt: number | undefined;
  private readonly averages: Partial<Record<RateDimension, number>> = {};
  private readonly allowances = new Map<RateDimension, Allowance>();

  constructor(options: { requestsPerMinute: number; source: 'config' | 'default'; now: number }) {
    this.base = options.requestsPerMinute;
    this.source = options.source;
    this.cap = options.source === 'config' ? options.requestsPerMinute : undefined;
    this.probing = options.source === 'default';
    this.lastRefill = options.now;
    this.setRate(this.base);
    this.tokens = this.burst;
  }

  /** 0 when a request may start now, else the wait in ms (Infinity: until an answer arrives). */
  delayMs(now: number, sent: number, inFlight: number): number {
    if (this.probing && inFlight > 0) return Infinity;
    let wait = 0;
    for (const [dimension, allowance] of this.allowances) {
      if (now >= allowance.until) {
        this.allowances.delete(dimension);
        continue;
      }
      const needed = sent - allowance.fromSent + 1 - allowance.remaining;
      const refilled = (now - allowance.startedAt) * allowance.refillPerMs;
      if (needed > refilled) wait = Math.max(wait, Math.min(allowance.until, allowance.startedAt + needed / allowance.refillPerMs) - now);
    }
    if (wait > 0) return wait;
    this.refill(now);
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.refillPerMs;
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /**
   * An answer (or a failure) came back for the request that was start number `seq` at `startedAt`.
   * Its headers, when it had any, set the pace and what may still start before the reset.
   */
  observe(now: number, seq: number, startedAt: number, report?: RateLimitReport, use?: TokenUse): void {
    const probe = this.probing;
    this.probing = false;
    if (use) this.average(use);
    if (!report) return;
    this.learnedAt = now;
    const perRequest: Record<RateDimension, number | undefined> = {
      requests: 1,
      tokens: this.averages.tokens,
      inputTokens: this.averages.inputTokens,
      outputTokens: this.averages.outputTokens,
    };
    for (const [dimension, window] of Object.entries(report) as [RateDimension, RateWindow][]) {
      if (window.limit !== undefined) this.limitsSeen[dimension] = window.limit;
      const cost = perRequest[dimension];
      if (cost) this.allow(dimension, window, cost, seq, startedAt);
    }
    // The lowest of every limit seen so far (an answer may carry only some), in requests a minute.
    let rate = this.limitsSeen.requests ?? this.base;
    for (const dimension of ['tokens', 'inputTokens', 'outputTokens'] as const) {
      const limit = this.limitsSeen[dimension];
      const cost = perRequest[dimension];
      if (limit !== undefined && cost) rate = Math.min(rate, limit / cost);
    }
    this.refill(now);
    this.setRate(Math.max(1, Math.min(rate, this.cap ?? Infinity)));
    // The probe is the new bucket's first start, dated at its answer: it may have reached the provider
    // late (the SDK loads on a provider's first call), and its minute must hold no extra start.
    if (probe) this.tokens = this.burst - 1;
  }

  limits(): PaceLimits {
    const learned = this.learnedAt !== undefined;
    const reported: NonNullable<PaceLimits['reported']> = {};
    for (const [dimension, limit] of Object.entries(this.limitsSeen) as [RateDimension, number][]) reported[reportedKeys[dimension]] = limit;
    const source: LimitSource = !learned ? this.source : this.cap !== undefined && this.requestsPerMinute >= this.cap ? 'config' : 'headers';
    return {
      requestsPerMinute: Math.floor(this.requestsPerMinute),
      source,
      ...(learned ? { reported, learnedAt: this.learnedAt } : {}),
    };
  }

  /** What is left, in requests, refilled evenly to the limit by the reset (how both providers' buckets refill). */
  private allow(dimension: RateDimension, window: RateWindow, cost: number, seq: number, startedAt: number): void {
    if (window.remaining === undefined) return;
    const current = this.allowances.get(dimension);
    // Answers arrive out of order: only one from a later start knows more.
    if (current && current.fromSent > seq) return;
    const remaining = Math.floor(window.remaining / cost);
    const limit = (window.limit ?? window.remaining) / cost;
    const resetMs = Math.min(longestResetMs, window.resetMs ?? minuteMs);
    // Already full again: nothing to hold back.
    if (resetMs <= 0) return void this.allowances.delete(dimension);
    const refillPerMs = Math.max(limit - remaining, 1) / resetMs;
    this.allowances.set(dimension, { remaining, fromSent: seq, startedAt, refillPerMs, until: startedAt + resetMs });
  }

  private average(use: TokenUse): void {
    const samples: Partial<Record<RateDimension, number>> = { tokens: use.input + use.output, inputTokens: use.input, outputTokens: use.output };
    for (const [dimension, value] of Object.entries(samples) as [RateDimension, number][]) {
      if (value <= 0) continue;
      const before = this.averages[dimension];
      this.averages[dimension] = before === undefined ? value : before + (value - before) * averageWeight;
    }
  }

  /** Any 60 s holds at most `rpm` starts: a full bucket plus under (rpm - burst + 1) refills. */
  private setRate(requestsPerMinute: number): void {
    this.requestsPerMinute = requestsPerMinute;
    this.burst = Math.max(1, Math.floor(requestsPerMinute / 60));
    this.refillPerMs = (requestsPerMinute - this.burst + 0.5) / minuteMs;
    this.tokens = Math.min(this.tokens, this.burst);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.refillPerMs);
    this.lastRefill = now;
  }
}
