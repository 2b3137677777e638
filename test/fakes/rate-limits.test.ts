/** The fake's rate limits on the wire: the headers each provider sends, and 429 above an enforced limit. */
import { describe, expect, it } from 'vitest';
import { sharedFake } from '../helpers.js';
import { reply, type Flavour } from './provider-server.js';

const fake = sharedFake(() => reply.json({ answer: '4' }));

const paths: Record<Flavour, string> = { openai: '/v1/chat/completions', deepseek: '/deepseek/chat/completions', anthropic: '/v1/messages' };

function post(flavour: Flavour): Promise<Response> {
  const body = { model: 'm', max_tokens: 64, messages: [{ role: 'user', content: 'Two plus two?' }] };
  return fetch(`${fake.url}${paths[flavour]}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('fake rate limits', () => {
  it('sends OpenAI limit headers and answers 429 with retry-after above an enforced limit', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 2, tokensPerMinute: 10_000, window: 'sliding', enforce: true });
    const answers = [await post('openai'), await post('openai'), await post('openai')];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 429]);
    expect(answers.map((answer) => answer.headers.get('x-ratelimit-remaining-requests'))).toEqual(['1', '0', '0']);
    expect(answers[0]!.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(answers[0]!.headers.get('x-ratelimit-limit-tokens')).toBe('10000');
    expect(Number(answers[1]!.headers.get('x-ratelimit-remaining-tokens'))).toBeLessThan(10_000);
    expect(answers[0]!.headers.get('x-ratelimit-reset-requests')).toMatch(/^(\d+m)?[\d.]+s$|^\d+ms$/);
    expect(Number(answers[2]!.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(answers[2]!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fake.rateLimits.refused.openai).toBe(1);
    expect(fake.counts().openai).toBe(3);
  });

  it('sends Anthropic limit headers with RFC 3339 resets, counting input and output tokens apart', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 50, inputTokensPerMinute: 40_000, outputTokensPerMinute: 8000, window: 'fixed' });
    const answer = await post('anthropic');
    expect(answer.status).toBe(200);
    const header = (name: string) => answer.headers.get(`anthropic-ratelimit-${name}`);
    expect([header('requests-limit'), header('requests-remaining')]).toEqual(['50', '49']);
    expect(header('requests-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Date.parse(header('requests-reset')!)).toBeGreaterThanOrEqual(Date.now() - 1000);
    expect(header('input-tokens-limit')).toBe('40000');
    expect(Number(header('input-tokens-remaining'))).toBeLessThan(40_000);
    expect(Number(header('output-tokens-remaining'))).toBeLessThan(8000);
    expect(header('tokens-limit')).not.toBeNull();
  });

  it('sends DeepSeek no limit headers and never limits it', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 1, enforce: true });
    const answers = [await post('deepseek'), await post('deepseek')];
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect([...answers[0]!.headers.keys()].filter((name) => name.includes('ratelimit'))).toEqual([]);
  });
});
