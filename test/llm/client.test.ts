import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeProviderServer, reply, type FakeRequest } from '../fakes/provider-server.js';
import { makeWorld, type TestWorld } from '../helpers.js';
import { createServices, type Services } from '../../src/services.js';
import { BudgetError, ConfigError, PriceMissingError, ProviderError } from '../../src/errors.js';
import { CallFailedError } from '../../src/llm/client.js';
import { silentLogger } from '../../src/util/log.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import path from 'node:path';

const answerSchema = z.object({ answer: z.string() });
const request = (role: 'generate' | 'format' | 'validate', extra: Partial<{ maxOutputTokens: number; runId: string }> = {}) => ({
  stage: `test.${role}`,
  role,
  system: 'Answer in JSON.',
  prompt: 'What is two plus two?',
  schema: answerSchema,
  schemaName: 'answer',
  ...extra,
});
// Tuesday 02:30 UTC is DeepSeek peak time; Saturday noon is off-peak.
const peak = new Date(Date.UTC(2026, 10, 24, 2, 30));
const offPeak = new Date(Date.UTC(2026, 10, 28, 12));

let fake: FakeProviderServer;
let world: TestWorld;
let now = offPeak;

beforeAll(async () => {
  fake = await FakeProviderServer.start();
});
afterAll(async () => fake.close());
beforeEach(() => {
  fake.reset();
  fake.responder = () => reply.json({ answer: '4' });
  now = offPeak;
});

async function services(env: Record<string, string> = {}, configFile?: Record<string, unknown>): Promise<Services> {
  world = await makeWorld({ fake, env, configFile });
  return createServices(world.config, { log: silentLogger, now: () => now, llm: { retryDelayMs: () => 2 } });
}

describe('LlmClient.complete', () => {
  it('costs each call exactly from the usage fields: DeepSeek peak and off-peak with cache hits', async () => {
    const s = await services();
    fake.responder = () => reply.json({ answer: '4' }, { input: 1000, cached: 4000, output: 500 });
    const offPeakResult = await s.llm.complete(request('generate'));
    expect(offPeakResult.costUsd).toBeCloseTo((1000 * 0.22 + 4000 * 0.007 + 500 * 0.66) / 1e6, 15);
    expect(offPeakResult.usage).toMatchObject({ inputTokens: 1000, cachedInputTokens: 4000, outputTokens: 500 });
    now = peak;
    const peakResult = await s.llm.complete(request('generate'));
    expect(peakResult.costUsd).toBeCloseTo((1000 * 0.44 + 4000 * 0.014 + 500 * 1.32) / 1e6, 15);
    expect(s.guard.status().spentUsd).toBeCloseTo(offPeakResult.costUsd + peakResult.costUsd, 15);
  });

  it('costs OpenAI cached and cache-write tokens and Anthropic cache reads and writes exactly', async () => {
    const s = await services();
    fake.responder = (r: FakeRequest) =>
      r.flavour === 'openai'
        ? reply.json({ answer: '4' }, { input: 2000, cached: 3000, cacheWrite: 1000, output: 400 })
        : reply.json({ answer: '4' }, { input: 1500, cached: 6000, cacheWrite: 2000, cacheWrite1h: 1000, output: 300 });
    const openai = await s.llm.complete(request('format'));
    expect(openai.costUsd).toBeCloseTo((2000 * 0.1 + 3000 * 0.01 + 1000 * 0.125 + 400 * 0.5) / 1e6, 15);
    const anthropic = await s.llm.complete(request('validate'));
    expect(anthropic.costUsd).toBeCloseTo((1500 * 0.1 + 6000 * 0.01 + 2000 * 0.125 + 1000 * 0.2 + 300 * 0.5) / 1e6, 15);
    const ledger = await readJsonlArray<{ costUsd: number; provider: string; outcome: string }>(path.join(world.home, 'ledger', '2026-11.jsonl'));
    expect(ledger.map((entry) => entry.provider)).toEqual(['openai', 'anthropic']);
    expect(ledger.reduce((sum, entry) => sum + entry.costUsd, 0)).toBeCloseTo(openai.costUsd + anthropic.costUsd, 15);
  });

  it('never spends a cent over the cap: 200 concurrent calls against a budget that covers about 50', async () => {
    // Each call reserves its worst case (about $0.00029 at max_output_tokens 512) and really costs $0.0002.
    const s = await services({ DISTILLERY_BUDGET_USD: '0.0125' });
    fake.latencyMs = 5;
    fake.responder = () => reply.json({ answer: '4' }, { input: 100, output: 380 });
    const results = await Promise.allSettled(Array.from({ length: 200 }, () => s.llm.complete(request('validate', { maxOutputTokens: 512 }))));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(BudgetError);
    const status = s.guard.status();
    expect(status.spentUsd).toBeLessThanOrEqual(0.0125 * 0.8 + 1e-12);
    expect(status.reservedUsd).toBe(0);
    expect(ok).toBeGreaterThan(25);
    expect(ok).toBeLessThan(60);
    expect(fake.requests.length).toBe(ok);
    expect(status.spentUsd).toBeCloseTo(ok * ((100 * 0.1 + 380 * 0.5) / 1e6), 12);
    expect((refused[0] as PromiseRejectedResult).reason.message).toMatch(/Budget: this call needs about \$/);
  });

  it('absorbs a 429 storm: every call completes, the limiter slowed down, nothing lost', async () => {
    const s = await services();
    let served = 0;
    fake.responder = () => (++served <= 40 && served % 2 === 1 ? reply.rateLimited(10) : reply.json({ answer: '4' }));
    const results = await Promise.all(Array.from({ length: 40 }, () => s.llm.complete(request('generate'))));
    expect(results).toHaveLength(40);
    expect(results.every((r) => r.value.answer === '4')).toBe(true);
    expect(results.reduce((sum, r) => sum + r.retries.filter((x) => x === 'provider_rate_limited').length, 0)).toBe(20);
    const stats = s.llm.limiterStats().find((l) => l.name === 'deepseek/deepseek-v4-flash')!;
    expect(stats.rateLimited).toBeGreaterThan(0);
  });

  it('stops on a billing error with a clear message and never retries it', async () => {
    const s = await services();
    fake.responder = (r) => reply.billing(r.flavour);
    for (const role of ['generate', 'format', 'validate'] as const) {
      fake.reset();
      fake.responder = (r) => reply.billing(r.flavour);
      const error = await s.llm.complete(request(role)).catch((e) => e);
      expect(error).toBeInstanceOf(ProviderError);
      expect(error.kind).toBe('billing');
      expect(error.message).toMatch(/will not retry/);
      expect(fake.requests.length).toBe(1);
    }
  });

  it('fails before spending when a provider has no key, naming the variable, or a model has no price', async () => {
    const s = await services({ DEEPSEEK_API_KEY: '' }, { stages: { validate: { provider: 'anthropic', model: 'claude-unpriced-9' } } });
    await expect(s.llm.complete(request('generate'))).rejects.toThrowError(ConfigError);
    await expect(s.llm.complete(request('generate'))).rejects.toThrowError(/Set DEEPSEEK_API_KEY/);
    await expect(s.llm.complete(request('validate'))).rejects.toThrowError(PriceMissingError);
    expect(fake.requests.length).toBe(0);
    expect(s.guard.status().calls).toBe(0);
  });

  it('re-asks once on malformed JSON, regenerates on truncation, and gives up with the reason after that', async () => {
    const s = await services();
    fake.script(reply.text('I think the answer is four.'), reply.json({ answer: '4' }));
    const reasked = await s.llm.complete(request('generate'));
    expect(reasked.value.answer).toBe('4');
    expect(reasked.retries).toEqual(['output_malformed_json']);
    expect(fake.requests[1]!.userText).toMatch(/JSON/);

    fake.script(reply.truncated('{"answer": "fo'), reply.json({ answer: '4' }));
    const regenerated = await s.llm.complete(request('generate', { maxOutputTokens: 300 }));
    expect(regenerated.retries).toEqual(['output_truncated']);
    expect(fake.requests.at(-1)!.maxTokens).toBe(600);

    fake.script(reply.text('nope'), reply.text('still nope'));
    const failure = await s.llm.complete(request('generate')).catch((e) => e);
    expect(failure).toBeInstanceOf(CallFailedError);
    expect(failure.reason).toBe('output_malformed_json');
    expect(failure.costUsd).toBeGreaterThan(0);
  });

  it('repairs code fences and trailing commas without a re-ask, and sends DeepSeek the schema in the prompt', async () => {
    const s = await services();
    fake.script(reply.text('```json\n{"answer": "4",}\n```'));
    const result = await s.llm.complete(request('generate'));
    expect(result.value.answer).toBe('4');
    expect(result.attempts).toBe(1);
    expect(fake.requests[0]!.jsonMode).toBe(true);
    expect(fake.requests[0]!.system).toMatch(/answer/);
  });
});
