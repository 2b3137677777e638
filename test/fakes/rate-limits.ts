/**
 * The fake's rate limits: per flavour and model, the requests and tokens of the current minute, as
 * a sliding window (the last 60 s) or a fixed one (the clock's minute). Every OpenAI and Anthropic
 * answer carries the limit headers those providers send; with `enforce`, a request over the
 * requests-per-minute limit is answered 429 with retry-after. DeepSeek sends no headers and is never
 * limited here (it limits concurrency, not rate).
 */
import type { Flavour } from './provider-server.js';

export interface FakeRateLimitOptions {
  requestsPerMinute: number;
  tokensPerMinute: number;
  inputTokensPerMinute: number;
  outputTokensPerMinute: number;
  window: 'sliding' | 'fixed';
  /** Answer 429 above requestsPerMinute; otherwise the limits are only reported. */
  enforce: boolean;
}

/** Generous enough that no test is slowed by them. */
export const reportOnlyLimits: FakeRateLimitOptions = {
  requestsPerMinute: 1_000_000,
  tokensPerMinute: 2_000_000_000,
  inputTokensPerMinute: 2_000_000_000,
  outputTokensPerMinute: 400_000_000,
  window: 'fixed',
  enforce: false,
};

interface Spent {
  at: number;
  input: number;
  output: number;
}

interface Minute {
  start: number;
  requests: number;
  input: number;
  output: number;
  /** Sliding windows only: what each request in the last 60 s spent. */
  log: Spent[];
}

const minuteMs = 60_000;

export class FakeRateLimits {
  options: FakeRateLimitOptions = { ...reportOnlyLimits };
  /** Requests answered 429 by the limit, per flavour. */
  readonly refused: Record<Flavour, number> = { openai: 0, deepseek: 0, anthropic: 0 };
  private readonly minutes = new Map<string, Minute>();

  constructor(private readonly now: () => number = Date.now) {}

  configure(options: Partial<FakeRateLimitOptions>): void {
    this.options = { ...reportOnlyLimits, ...options };
    this.reset();
  }

  reset(): void {
    this.minutes.clear();
    this.refused.openai = this.refused.deepseek = this.refused.anthropic = 0;
  }

  /** Undefined when the request may be served, else the wait in ms its 429 names in retry-after. */
  refuse(flavour: Flavour, model: string): number | undefined {
    if (flavour === 'deepseek' || !this.options.enforce) return undefined;
    const minute = this.minute(flavour, model);
    if (minute.requests < this.options.requestsPerMinute) return undefined;
    this.refused[flavour] += 1;
    const freedAt = this.options.window === 'fixed' ? minute.start + minuteMs : minute.log[0]!.at + minuteMs;
    return Math.max(1, freedAt - this.now());
  }

  /** Counts a served request and returns the headers its answer carries. */
  spend(flavour: Flavour, model: string, input: number, output: number): Record<string, string> {
    if (flavour === 'deepseek') return {};
    const minute = this.minute(flavour, model);
    const at = this.now();
    minute.requests += 1;
    minute.input += input;
    minute.output += output;
    if (this.options.window === 'sliding') minute.log.push({ at, input, output });
    return this.headers(flavour, minute);
  }

  /** The headers for the current state, e.g. on a 429. */
  current(flavour: Flavour, model: string): Record<string, string> {
    return flavour === 'deepseek' ? {} : this.headers(flavour, this.minute(flavour, model));
  }

  private minute(flavour: Flavour, model: string): Minute {
    const key = `${flavour}/${model}`;
    const now = this.now();
    let minute = this.minutes.get(key);
    if (!minute) {
      minute = { start: 0, requests: 0, input: 0, output: 0, log: [] };
      this.minutes.set(key, minute);
    }
    if (this.options.window === 'fixed') {
      const start = Math.floor(now / minuteMs) * minuteMs;
      if (start !== minute.start) Object.assign(minute, { start, requests: 0, input: 0, output: 0 });
      return minute;
    }
    while (minute.log.length > 0 && minute.log[0]!.at <= now - minuteMs) {
      const gone = minute.log.shift()!;
      minute.requests -= 1;
      minute.input -= gone.input;
      minute.output -= gone.output;
    }
    return minute;
  }

  /** When the window is fully replenished: the fixed minute's end, or when its newest request leaves the sliding one. */
  private resetAt(minute: Minute): number {
    if (this.options.window === 'fixed') return minute.start + minuteMs;
    return (minute.log.at(-1)?.at ?? this.now() - minuteMs) + minuteMs;
  }

  private headers(flavour: Flavour, minute: Minute): Record<string, string> {
    const { requestsPerMinute, tokensPerMinute, inputTokensPerMinute, outputTokensPerMinute } = this.options;
    const resetAt = Math.max(this.now(), this.resetAt(minute));
    const left = (limit: number, used: number) => String(Math.max(0, limit - used));
    if (flavour === 'openai') {
      const reset = goDuration(resetAt - this.now());
      return {
        'x-ratelimit-limit-requests': String(requestsPerMinute),
        'x-ratelimit-remaining-requests': left(requestsPerMinute, minute.requests),
        'x-ratelimit-reset-requests': reset,
        'x-ratelimit-limit-tokens': String(tokensPerMinute),
        'x-ratelimit-remaining-tokens': left(tokensPerMinute, minute.input + minute.output),
        'x-ratelimit-reset-tokens': reset,
      };
    }
    // Whole seconds, as Anthropic sends them, rounded up so the window is never said to refill early.
    const reset = new Date(Math.ceil(resetAt / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const family = (name: string, limit: number, used: number) => ({
      [`anthropic-ratelimit-${name}-limit`]: String(limit),
      [`anthropic-ratelimit-${name}-remaining`]: left(limit, used),
      [`anthropic-ratelimit-${name}-reset`]: reset,
    });
    return {
      ...family('requests', requestsPerMinute, minute.requests),
      ...family('tokens', tokensPerMinute, minute.input + minute.output),
      ...family('input-tokens', inputTokensPerMinute, minute.input),
      ...family('output-tokens', outputTokensPerMinute, minute.output),
    };
  }
}

/** OpenAI's reset format: "6m0s", "1s", "20ms". */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const minutes = Math.floor(ms / minuteMs);
  const seconds = Number(((ms % minuteMs) / 1000).toFixed(3));
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}
