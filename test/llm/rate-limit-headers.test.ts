import { describe, expect, it } from 'vitest';
import { parseDurationMs, readRateLimits, readRetryAfterMs } from '../../src/llm/rate-limit-headers.js';
import { goDuration } from '../fakes/rate-limits.js';

describe('reading rate-limit headers', () => {
  it('parses OpenAI reset durations', () => {
    expect(parseDurationMs('6m0s')).toBe(360_000);
    expect(parseDurationMs('1s')).toBe(1000);
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('1m30.5s')).toBe(90_500);
    expect(parseDurationMs('1h2m3s')).toBe(3_723_000);
    expect(parseDurationMs('0.25s')).toBe(250);
    expect(parseDurationMs('2')).toBe(2000);
    for (const bad of ['', 'soon', '5 minutes', '-1s', '1x']) expect(parseDurationMs(bad)).toBeUndefined();
  });

  it('reads back what the fake writes', () => {
    for (const ms of [20, 999, 1000, 1500, 59_999, 360_000, 3_723_000]) expect(parseDurationMs(goDuration(ms))).toBe(ms);
  });

  it('reads OpenAI limits, remaining and resets', () => {
    const headers = new Headers({
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-remaining-tokens': '159976',
      'x-ratelimit-reset-tokens': '6m0s',
    });
    expect(readRateLimits(headers)).toEqual({
      requests: { limit: 5000, remaining: 4999, resetMs: 12 },
      tokens: { limit: 160_000, remaining: 159_976, resetMs: 360_000 },
    });
  });

  it('reads Anthropic limits with RFC 3339 resets against the given clock', () => {
    const now = Date.parse('2026-12-01T12:40:58.500Z');
    const headers = new Headers({
      'anthropic-ratelimit-requests-limit': '1000',
      'anthropic-ratelimit-requests-remaining': '999',
      'anthropic-ratelimit-requests-reset': '2026-12-01T12:40:59Z',
      'anthropic-ratelimit-input-tokens-limit': '80000',
      'anthropic-ratelimit-input-tokens-remaining': '79000',
      'anthropic-ratelimit-input-tokens-reset': '2026-12-01T12:41:00Z',
      'anthropic-ratelimit-output-tokens-limit': '16000',
      'anthropic-ratelimit-output-tokens-remaining': '16000',
      'anthropic-ratelimit-output-tokens-reset': '2026-12-01T12:40:00Z',
      'anthropic-ratelimit-tokens-limit': '96000',
      'anthropic-ratelimit-tokens-remaining': '95000',
    });
    expect(readRateLimits(headers, now)).toEqual({
      requests: { limit: 1000, remaining: 999, resetMs: 500 },
      inputTokens: { limit: 80_000, remaining: 79_000, resetMs: 1500 },
      outputTokens: { limit: 16_000, remaining: 16_000, resetMs: 0 },
      tokens: { limit: 96_000, remaining: 95_000 },
    });
  });

  it('finds nothing in an answer without limit headers (DeepSeek), and skips values it cannot read', () => {
    expect(readRateLimits(new Headers({ 'x-request-id': 'abc' }))).toBeUndefined();
    expect(readRateLimits(undefined)).toBeUndefined();
    const odd = new Headers({ 'x-ratelimit-limit-requests': '0', 'x-ratelimit-remaining-requests': 'lots', 'x-ratelimit-reset-requests': 'later' });
    expect(readRateLimits(odd)).toBeUndefined();
  });

  it('reads retry-after-ms first, then retry-after as seconds or an HTTP date', () => {
    expect(readRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
    expect(readRetryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    const now = Date.parse('2026-12-01T00:00:00Z');
    expect(readRetryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Dec 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(readRetryAfterMs(new Headers({}))).toBeUndefined();
  });
});
