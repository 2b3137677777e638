import { getEventListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config.js';
import { ProviderError } from '../../src/errors.js';
import { createAdapter } from '../../src/llm/adapters.js';
import { normaliseUsage } from '../../src/llm/openai-adapter.js';
import type { AdapterRequest } from '../../src/llm/types.js';
import { FakeProviderServer, reply, type FakeReply, type Flavour } from '../fakes/provider-server.js';

const apiKey = 'sk-SENTINEL-never-print-0123456789';
let fake: FakeProviderServer;
const thrownMessages: string[] = [];

beforeAll(async () => {
  fake = await FakeProviderServer.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const envNames: Record<Flavour, string> = { openai: 'OPENAI_API_KEY', deepseek: 'DEEPSEEK_API_KEY', anthropic: 'ANTHROPIC_API_KEY' };

function provider(flavour: Flavour, overrides: Partial<ProviderConfig> = {}): ProviderConfig {
  return {
    name: flavour,
    kind: flavour === 'anthropic' ? 'anthropic' : 'openai-compatible',
    baseUrl: fake.baseUrl(flavour),
    apiKey,
    apiKeyEnv: envNames[flavour],
    requiresKey: true,
    concurrency: 4,
    requestsPerMinute: 600,
    timeoutMs: 10_000,
    ...overrides,
  };
}

const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };

function request(overrides: Partial<AdapterRequest> = {}): AdapterRequest {
  return {
    model: 'test-model',
    system: 'You answer in JSON.',
    messages: [{ role: 'user', content: 'What is 2+2?' }],
    maxOutputTokens: 512,
    jsonSchema: { name: 'answer', schema },
    timeoutMs: 10_000,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderError);
  thrownMessages.push((error as ProviderError).message);
  return error as ProviderError;
}

async function failureFor(flavour: Flavour, answer: FakeReply): Promise<ProviderError> {
  fake.script(answer);
  return failure(createAdapter(provider(flavour)).send(request()));
}

describe('OpenAI adapter', () => {
  it('sends a strict json_schema with max_completion_tokens and normalises cached usage', async () => {
    fake.script(reply.json({ answer: '4' }, { input: 100, cached: 40, cacheWrite: 10, output: 7 }));
    const adapter = createAdapter(provider('openai'));
    const response = await adapter.send(request());
    const sent = fake.requests[0]!;
    expect(adapter.acceptsJsonSchema).toBe(true);
    expect(sent.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } });
    expect(sent.body.max_completion_tokens).toBe(512);
    expect(sent.body.max_tokens).toBeUndefined();
    expect(sent.body.messages[0]).toEqual({ role: 'system', content: 'You answer in JSON.' });
    expect(sent.headers.authorization).toBe(`Bearer ${apiKey}`);
    // prompt_tokens 150 = 100 uncached + 40 cached + 10 written.
    expect(response.usage).toEqual({ inputTokens: 100, cachedInputTokens: 40, cacheWriteTokens: 10, cacheWrite1hTokens: 0, outputTokens: 7 });
    expect(response).toMatchObject({ text: '{"answer":"4"}', finishReason: 'stop', model: 'test-model' });
  });

  it('maps length, refusal and blank answers', async () => {
    fake.script(reply.truncated('{"answer": "fo'), reply.refusal('I cannot.'), reply.blank());
    const adapter = createAdapter(provider('openai'));
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'length', text: '{"answer": "fo' });
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'refusal', text: '' });
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'stop', text: '' });
  });
});

describe('DeepSeek through the OpenAI adapter', () => {
  it('uses JSON mode and max_tokens, and reads cache hits and misses', async () => {
    fake.script(reply.json({ answer: '4' }, { input: 300, cached: 1200, output: 50 }));
    const adapter = createAdapter(provider('deepseek'));
    const response = await adapter.send(request());
    const sent = fake.requests[0]!;
    expect(adapter.acceptsJsonSchema).toBe(false);
    expect(sent.path).toBe('/deepseek/chat/completions');
    expect(sent.body.response_format).toEqual({ type: 'json_object' });
    expect(sent.body.max_tokens).toBe(512);
    expect(sent.body.max_completion_tokens).toBeUndefined();
    expect(response.usage).toEqual({ inputTokens: 300, cachedInputTokens: 1200, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens: 50 });
  });

  it('is recognised by its base URL under another name', async () => {
    const adapter = createAdapter(provider('deepseek', { name: 'my-deepseek' }));
    expect(adapter.acceptsJsonSchema).toBe(false);
  });

  it('maps content_filter to refusal', async () => {
    fake.script(reply.refusal('Filtered.'));
    expect((await createAdapter(provider('deepseek')).send(request())).finishReason).toBe('refusal');
  });

  it('counts every prompt token as uncached when no cache fields are given', () => {
    expect(normaliseUsage({ prompt_tokens: 50, completion_tokens: 5, total_tokens: 55 })).toEqual({
      inputTokens: 50,
      cachedInputTokens: 0,
      cacheWriteTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 5,
    });
  });
});

describe('Anthropic adapter', () => {
  it('sends system, output_config and no temperature, and splits cache writes by TTL', async () => {
    fake.script(reply.json({ answer: '4' }, { input: 20, cached: 1000, cacheWrite: 300, cacheWrite1h: 200, output: 40 }));
    const adapter = createAdapter(provider('anthropic'));
    const response = await adapter.send(request());
    const sent = fake.requests[0]!;
    expect(adapter.acceptsJsonSchema).toBe(true);
    expect(sent.path).toBe('/v1/messages');
    expect(sent.body.system).toBe('You answer in JSON.');
    expect(sent.body.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(sent.body).not.toHaveProperty('temperature');
    expect(sent.body.max_tokens).toBe(512);
    // cache_creation_input_tokens 500 = 300 five-minute + 200 one-hour; input_tokens already excludes both.
    expect(response.usage).toEqual({ inputTokens: 20, cachedInputTokens: 1000, cacheWriteTokens: 300, cacheWrite1hTokens: 200, outputTokens: 40 });
    expect(response.text).toBe('{"answer":"4"}');
  });

  it('sends a large max_tokens without the SDK demanding streaming', async () => {
    const response = await createAdapter(provider('anthropic')).send(request({ maxOutputTokens: 64_000 }));
    expect(response.finishReason).toBe('stop');
    expect(fake.requests[0]?.maxTokens).toBe(64_000);
  });

  it('maps max_tokens, refusal and blank answers', async () => {
    fake.script(reply.truncated('{"ans'), reply.refusal('I cannot.'), reply.blank());
    const adapter = createAdapter(provider('anthropic'));
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'length', text: '{"ans' });
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'refusal', text: 'I cannot.' });
    expect(await adapter.send(request())).toMatchObject({ finishReason: 'stop', text: '' });
  });
});

describe('provider failures', () => {
  it('turns a 429 with retry-after-ms into rate_limited with the wait, sending once', async () => {
    const error = await failureFor('openai', reply.rateLimited(1500));
    expect([error.kind, error.options.status, error.options.retryAfterMs]).toEqual(['rate_limited', 429, 1500]);
    expect(error.isRetryable).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });

  it('reads a retry-after given in seconds', async () => {
    const error = await failureFor('anthropic', { kind: 'error', status: 429, retryAfterSeconds: 3 });
    expect([error.kind, error.options.retryAfterMs]).toEqual(['rate_limited', 3000]);
  });

  it.each([
    ['deepseek', 402, reply.billing('deepseek')],
    ['openai', 429, reply.billing('openai')],
    ['anthropic', 400, reply.billing('anthropic')],
    ['anthropic', 400, { kind: 'error', status: 400, type: 'invalid_request_error', message: 'Request refused: enforced_spend_limit_reached.' }],
    ['openai', 403, { kind: 'error', status: 403, message: 'Your workspace spend limit has been reached.' }],
  ] as [Flavour, number, FakeReply][])('treats a %s %i billing answer as fatal billing', async (flavour, status, answer) => {
    const error = await failureFor(flavour, answer);
    expect([error.kind, error.options.status, error.isFatal]).toEqual(['billing', status, true]);
    expect(error.message).toMatch(/^\S+ answered \d{3} billing: .+\. Top up the account or raise its spend limit; Distillery will not retry\.$/);
    expect(fake.requests).toHaveLength(1);
  });

  it.each([
    ['anthropic', reply.overloaded(), 'overloaded'],
    ['openai', reply.overloaded(), 'overloaded'],
    ['openai', { kind: 'error', status: 503 }, 'overloaded'],
    ['openai', reply.serverError(), 'server'],
    ['anthropic', reply.serverError(), 'server'],
    ['deepseek', { kind: 'error', status: 404, message: 'Model Not Exist' }, 'not_found'],
    ['anthropic', { kind: 'error', status: 401, message: 'invalid x-api-key' }, 'auth'],
    ['openai', { kind: 'error', status: 400, message: 'Invalid parameter: messages.' }, 'bad_request'],
    ['anthropic', { kind: 'error', status: 422 }, 'bad_request'],
  ] as [Flavour, FakeReply, string][])('maps a %s %o to %s', async (flavour, answer, kind) => {
    const error = await failureFor(flavour, answer);
    expect(error.kind).toBe(kind);
    expect(error.code).toBe(`provider_${kind}`);
    expect(fake.requests).toHaveLength(1);
  });

  it('tells the next step for a missing model and a rejected key', async () => {
    const notFound = await failureFor('openai', { kind: 'error', status: 404, message: 'The model `gpt-9` does not exist.' });
    expect(notFound.message).toBe('openai answered 404 not_found: The model `gpt-9` does not exist. Check the model name in the stage config (check_setup lists it).');
    const auth = await failureFor('deepseek', { kind: 'error', status: 401, message: 'Authentication Fails' });
    expect(auth.message).toBe('deepseek answered 401 auth: Authentication Fails. Check DEEPSEEK_API_KEY.');
  });

  it('scrubs an echoed key and shortens a long provider message', async () => {
    const echoed = await failureFor('openai', { kind: 'error', status: 401, message: `Incorrect API key provided: ${apiKey}.` });
    expect(echoed.message).toContain('[redacted]');
    const long = await failureFor('anthropic', { kind: 'error', status: 400, message: `${'x'.repeat(1000)} ${apiKey}` });
    expect(long.message.length).toBeLessThan(400);
    expect(long.message).not.toContain('xxxx'.repeat(60));
  });

  it.each(['openai', 'anthropic'] as Flavour[])('gives up on a silent %s server as a timeout', async (flavour) => {
    fake.script(reply.hang());
    const error = await failure(createAdapter(provider(flavour)).send(request({ timeoutMs: 300 })));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('300 ms');
    expect(fake.requests).toHaveLength(1);
  });

  it.each(['deepseek', 'anthropic'] as Flavour[])('reports a %s call aborted by its signal as cancelled', async (flavour) => {
    fake.script(reply.hang());
    const controller = new AbortController();
    const pending = failure(createAdapter(provider(flavour)).send(request({ signal: controller.signal })));
    await fake.received(1);
    controller.abort();
    const error = await pending;
    expect([error.kind, error.isRetryable, error.isFatal]).toEqual(['cancelled', false, false]);
  });

  it.each(['openai', 'anthropic'] as Flavour[])('leaves one listener on a long-lived %s signal however many calls it carried, and still cancels through it', async (flavour) => {
    fake.responder = () => reply.json({ answer: '4' });
    const adapter = createAdapter(provider(flavour));
    const run = new AbortController();
    for (let index = 0; index < 30; index++) await adapter.send(request({ signal: run.signal }));
    // openai 6 never removes the listener it adds to the signal it is given (openai/openai-node#1811).
    expect(getEventListeners(run.signal, 'abort').length).toBeLessThanOrEqual(1);
    fake.script(reply.hang());
    const pending = failure(adapter.send(request({ signal: run.signal })));
    await fake.received(31);
    run.abort();
    expect((await pending).kind).toBe('cancelled');
  });

  it.each(['openai', 'anthropic'] as Flavour[])('never follows an %s redirect (the key stays home) and stops with what to fix', async (flavour) => {
    let reachedTarget = 0;
    const target = createServer((_request, response) => {
      reachedTarget++;
      response.end('{}');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const redirecting = createServer((_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${(target.address() as AddressInfo).port}/v1/messages` });
      response.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}${flavour === 'openai' ? '/v1' : ''}`;
      const error = await failure(createAdapter(provider(flavour, { baseUrl })).send(request()));
      expect([error.kind, error.isRetryable, error.isFatal]).toEqual(['redirect', false, true]);
      expect(error.message).toContain(`providers.${flavour}.base_url (now ${baseUrl})`);
      expect(reachedTarget).toBe(0);
    } finally {
      redirecting.close();
      target.close();
    }
  });

  it('sends nothing when the signal is already aborted', async () => {
    const error = await failure(createAdapter(provider('openai')).send(request({ signal: AbortSignal.abort() })));
    expect(error.kind).toBe('cancelled');
    expect(fake.requests).toHaveLength(0);
  });

  it.each(['openai', 'deepseek', 'anthropic'] as Flavour[])('refuses a %s call without a key, naming the variable, before any request', async (flavour) => {
    const adapter = createAdapter(provider(flavour, { apiKey: undefined }));
    const error = await failure(adapter.send(request()));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain(envNames[flavour]);
    expect(adapter.acceptsJsonSchema).toBe(flavour !== 'deepseek');
    expect(fake.requests).toHaveLength(0);
  });

  it.each(['openai', 'anthropic'] as Flavour[])('calls a keyless local %s-format server that needs no key', async (flavour) => {
    const local = provider(flavour, { name: 'local', apiKey: undefined, apiKeyEnv: 'LOCAL_API_KEY', requiresKey: false });
    const response = await createAdapter(local).send(request());
    expect(response.text).toBe('{"ok":true}');
    expect(fake.requests).toHaveLength(1);
  });

  it('reports a server that is not there as a connection failure', async () => {
    const gone = await FakeProviderServer.start();
    const baseUrl = gone.baseUrl('openai');
    await gone.close();
    const error = await failure(createAdapter(provider('openai', { baseUrl })).send(request()));
    expect(error.kind).toBe('connection');
    expect(error.message).toContain(baseUrl);
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('calls a provider that has never answered unreachable (fatal) after three refused connections, naming its base_url', async () => {
    const gone = await FakeProviderServer.start();
    const baseUrl = gone.baseUrl('deepseek');
    await gone.close();
    const adapter = createAdapter(provider('deepseek', { baseUrl }));
    const errors = [];
    for (let attempt = 0; attempt < 4; attempt++) errors.push(await failure(adapter.send(request())));
    expect(errors.map((error) => [error.kind, error.isRetryable, error.isFatal])).toEqual([
      ['connection', true, false],
      ['connection', true, false],
      ['unreachable', false, true],
      ['unreachable', false, true],
    ]);
    expect(errors[2]!.message).toContain(`deepseek could not be reached at ${baseUrl} (Connection error (ECONNREFUSED)), 3 times in a row, and it has not answered once since Distillery started.`);
    expect(errors[2]!.message).toContain(`check providers.deepseek.base_url (now ${baseUrl})`);
  });

  it('keeps retrying connection failures of a provider that has answered before', async () => {
    const server = await FakeProviderServer.start();
    const baseUrl = server.baseUrl('openai');
    const adapter = createAdapter(provider('openai', { baseUrl }));
    expect((await adapter.send(request())).text).toBe('{"ok":true}');
    await server.close();
    for (let attempt = 0; attempt < 4; attempt++) expect((await failure(adapter.send(request()))).kind).toBe('connection');
  });

  it('never puts the API key in a thrown message', () => {
    expect(thrownMessages.length).toBeGreaterThan(20);
    for (const message of thrownMessages) {
      expect(message).not.toContain(apiKey);
      expect(message).not.toMatch(/\n\s+at |"error":/);
    }
  });
});
