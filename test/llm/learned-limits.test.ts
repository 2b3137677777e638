/**
 * Rate limits learned from the provider, end to end: the fake sends OpenAI's and Anthropic's limit
 * headers, the real SDK clients carry them back, the per-model limiter adopts them (under a
 * configured cap), and check_setup shows them without a secret.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { reply } from '../fakes/provider-server.js';
import { connectClient, makeApp, makeWorld, sentinels, sharedFake, textOf, type TestWorld } from '../helpers.js';
import type { App } from '../../src/app.js';

const answer = z.object({ answer: z.string() });
const call = (app: App, role: 'generate' | 'format' | 'validate') =>
  app.services.llm.complete({ stage: `test.${role}`, role, system: 'Answer in JSON.', prompt: 'Two plus two?', schema: answer, schemaName: 'answer' });

const fake = sharedFake(() => reply.json({ answer: '4' }));
let world: TestWorld;
let app: App;

afterEach(async () => {
  await app?.close();
  await world?.cleanup();
});

async function start(providers: Record<string, unknown> = {}): Promise<App> {
  world = await makeWorld({ fake, configFile: { providers } });
  app = await makeApp(world);
  return app;
}

const paceOf = (app: App, provider: string) => app.services.llm.rateLimits([]).find((pace) => pace.provider === provider);

describe('rate limits learned from the provider', () => {
  it('adopts the requests and tokens a minute OpenAI and Anthropic report, and keeps the guess for DeepSeek, which reports none', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 7200, tokensPerMinute: 3_000_000, inputTokensPerMinute: 2_000_000, outputTokensPerMinute: 400_000, window: 'sliding', enforce: true });
    await start();
    for (const role of ['generate', 'format', 'validate'] as const) for (let index = 0; index < 3; index++) await call(app, role);
    expect(paceOf(app, 'openai')).toMatchObject({ requestsPerMinute: 7200, source: 'headers', reported: { requestsPerMinute: 7200, tokensPerMinute: 3_000_000 } });
    expect(paceOf(app, 'anthropic')).toMatchObject({
      requestsPerMinute: 7200,
      source: 'headers',
      reported: { requestsPerMinute: 7200, tokensPerMinute: 3_000_000, inputTokensPerMinute: 2_000_000, outputTokensPerMinute: 400_000 },
    });
    expect(paceOf(app, 'deepseek')).toEqual({ provider: 'deepseek', model: 'deepseek-v4-flash', requestsPerMinute: 3000, source: 'default' });
    expect(paceOf(app, 'openai')!.learnedAt).toBeGreaterThan(0);
    expect(fake.rateLimits.refused).toEqual({ openai: 0, deepseek: 0, anthropic: 0 });
  });

  it('learns from the headers of a 429 too', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 900, enforce: true, window: 'fixed' });
    await start();
    fake.script(reply.rateLimited(5));
    await call(app, 'format');
    expect(paceOf(app, 'openai')).toMatchObject({ requestsPerMinute: 900, source: 'headers' });
    expect(app.services.llm.limiterStats().find((stats) => stats.name.startsWith('openai/'))!.rateLimited).toBe(1);
  });

  it('never paces above a requests_per_minute set in config, and follows a provider that reports less', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 6000 });
    await start({ openai: { requests_per_minute: 5000 }, anthropic: { requests_per_minute: 40 } });
    await call(app, 'format');
    expect(paceOf(app, 'openai')).toMatchObject({ requestsPerMinute: 5000, source: 'config', reported: { requestsPerMinute: 6000 } });
    fake.rateLimits.configure({ requestsPerMinute: 30 });
    await call(app, 'validate');
    expect(paceOf(app, 'anthropic')).toMatchObject({ requestsPerMinute: 30, source: 'headers', reported: { requestsPerMinute: 30 } });
  });

  it('check_setup shows each model\'s pace and where it came from, and no key', async () => {
    fake.rateLimits.configure({ requestsPerMinute: 4800, tokensPerMinute: 2_000_000 });
    await start({ deepseek: { requests_per_minute: 1200 } });
    const client = await connectClient(app);
    const before = await client.callTool({ name: 'check_setup', arguments: {} });
    const rows = (result: typeof before) => (result.structuredContent as { rate_limits: Record<string, unknown>[] }).rate_limits;
    expect(rows(before)).toContainEqual(expect.objectContaining({ provider: 'openai', model: 'gpt-6-luna', requests_per_minute: 500, source: 'default', learned_at: null }));
    expect(rows(before)).toContainEqual(expect.objectContaining({ provider: 'deepseek', requests_per_minute: 1200, source: 'config' }));
    expect(textOf(before)).toContain('openai/gpt-6-luna 500 (built-in guess)');
    expect(textOf(before)).toContain('A guess gives way to the limits a provider reports on its first answer.');

    await call(app, 'format');
    const after = await client.callTool({ name: 'check_setup', arguments: {} });
    const openai = rows(after).find((row) => row.provider === 'openai')!;
    expect(openai).toMatchObject({ requests_per_minute: 4800, tokens_per_minute: 2_000_000, source: 'headers', reported_requests_per_minute: 4800 });
    expect(Date.parse(String(openai.learned_at))).toBeGreaterThan(0);
    expect(textOf(after)).toContain('openai/gpt-6-luna 4,800 and 2,000,000 tokens (learned from the provider)');
    const shown = JSON.stringify(after);
    for (const secret of Object.values(sentinels)) expect(shown).not.toContain(secret);
    await client.close();
  });
});
