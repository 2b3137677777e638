/**
 * The rate-limit headers providers send on every answer, read into one SDK-neutral shape.
 * OpenAI: `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`, resets as durations ("6m0s",
 * "1s", "20ms"). Anthropic: `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-
 * {limit,remaining,reset}`, resets as RFC 3339 times. Both are per minute. DeepSeek sends none.
 */

/** One limit as reported: the allowance per minute, what is left, and when it is full again. */
export interface RateWindow {
  limit?: number;
  remaining?: number;
  /** Milliseconds from the answer until the window is fully replenished. */
  resetMs?: number;
}

export interface RateLimitReport {
  requests?: RateWindow;
  /** Input plus output tokens (OpenAI; Anthropic's most restrictive token limit). */
  tokens?: RateWindow;
  inputTokens?: RateWindow;
  outputTokens?: RateWindow;
}

export type RateDimension = keyof RateLimitReport;

const openaiNames: Partial<Record<RateDimension, string>> = { requests: 'requests', tokens: 'tokens' };
const anthropicNames: Record<RateDimension, string> = { requests: 'requests', tokens: 'tokens', inputTokens: 'input-tokens', outputTokens: 'output-tokens' };

/** The limits in `headers`, or undefined when the provider sent none. `now` dates Anthropic's absolute resets. */
export function readRateLimits(headers: Headers | undefined, now = Date.now()): RateLimitReport | undefined {
  if (!headers) return undefined;
  const report: RateLimitReport = {};
  for (const [dimension, name] of Object.entries(openaiNames) as [RateDimension, string][]) {
    const window = readWindow(headers, `x-ratelimit-limit-${name}`, `x-ratelimit-remaining-${name}`, `x-ratelimit-reset-${name}`, parseDurationMs);
    if (window) report[dimension] = window;
  }
  for (const [dimension, name] of Object.entries(anthropicNames) as [RateDimension, string][]) {
    const prefix = `anthropic-ratelimit-${name}`;
    const window = readWindow(headers, `${prefix}-limit`, `${prefix}-remaining`, `${prefix}-reset`, (value) => untilMs(value, now));
    if (window) report[dimension] = window;
  }
  return Object.keys(report).length > 0 ? report : undefined;
}

function readWindow(headers: Headers, limitName: string, remainingName: string, resetName: string, reset: (value: string) => number | undefined): RateWindow | undefined {
  const window: RateWindow = {};
  const limit = count(headers.get(limitName));
  const remaining = count(headers.get(remainingName));
  const resetValue = headers.get(resetName);
  const resetMs = resetValue ? reset(resetValue.trim()) : undefined;
  // A zero limit means "none known" on some compatible servers; adopting it would stop every call.
  if (limit !== undefined && limit > 0) window.limit = limit;
  if (remaining !== undefined) window.remaining = remaining;
  if (resetMs !== undefined) window.resetMs = resetMs;
  return Object.keys(window).length > 0 ? window : undefined;
}

function count(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  return Math.floor(Number(value));
}

const unitMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** A Go-style duration as OpenAI sends it ("6m0s", "1.5s", "20ms", "1h2m3s"); a bare number is seconds. */
export function parseDurationMs(value: string): number | undefined {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, , unit] of text.matchAll(/(\d+(\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(amount) * unitMs[unit!]!;
  return total;
}

/** Milliseconds from `now` until an RFC 3339 time (never negative), or undefined when it is not one. */
function untilMs(value: string, now: number): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** `retry-after-ms` first (OpenAI), then `retry-after` as seconds or an HTTP date. */
export function readRetryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const milliseconds = headers?.get('retry-after-ms');
  if (milliseconds && Number.isFinite(Number(milliseconds)) && Number(milliseconds) >= 0) return Number(milliseconds);
  const after = headers?.get('retry-after');
  if (!after) return undefined;
  if (Number.isFinite(Number(after)) && Number(after) >= 0) return Number(after) * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
