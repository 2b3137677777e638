import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeProviderServer, reply, type Flavour } from './provider-server.js';

let fake: FakeProviderServer;

beforeAll(async () => {
  fake = await FakeProviderServer.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const paths: Record<Flavour, string> = { openai: '/chat/completions', deepseek: '/chat/completions', anthropic: '/v1/messages' };

async function post(flavour: Flavour, body: unknown, signal?: AbortSignal): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(fake.baseUrl(flavour) + paths[flavour], {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
    body: JSON.stringify(body),
    signal,
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

const chat = (user: string, extra: object = {}) => ({
  model: 'gpt-6-luna',
  messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: user }],
  ...extra,
});
const messages = (user: string, extra: object = {}) => ({
  model: 'claude-haiku-5-5',
  max_tokens: 256,
  system: 'Be brief.',
  messages: [{ role: 'user', content: user }],
  ...extra,
});

describe('FakeProviderServer', () => {
  it('serves scripted replies in order, then falls back to the responder', async () => {
    fake.script(reply.text('first'), reply.text('second'));
    fake.responder = (request) => reply.text(`echo ${request.userText}`);
    const answers = [];
    for (const user of ['a', 'b', 'c']) answers.push((await post('openai', chat(user))).json.choices[0].message.content);
    expect(answers).toEqual(['first', 'second', 'echo c']);
  });

  it('answers {"ok": true} by default', async () => {
    const { json } = await post('openai', chat('hi'));
    expect(JSON.parse(json.choices[0].message.content)).toEqual({ ok: true });
    expect(json.object).toBe('chat.completion');
  });

  it('records every request in order with the fields tests read', async () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    await post('openai', chat('one', { max_completion_tokens: 99, response_format: { type: 'json_schema', json_schema: { name: 'x', strict: true, schema } } }));
    await post('deepseek', chat('two', { max_tokens: 77, response_format: { type: 'json_object' } }));
    await post('anthropic', messages('three', { system: [{ type: 'text', text: 'Sys A' }], output_config: { format: { type: 'json_schema', schema } } }));
    const [openai, deepseek, anthropic] = fake.requests;
    expect(openai).toMatchObject({ flavour: 'openai', path: '/v1/chat/completions', model: 'gpt-6-luna', system: 'Be brief.', userText: 'one', maxTokens: 99, jsonMode: true, jsonSchema: schema });
    expect(openai?.headers.authorization).toBe('Bearer test-key');
    expect(deepseek).toMatchObject({ flavour: 'deepseek', path: '/deepseek/chat/completions', maxTokens: 77, jsonMode: true, jsonSchema: undefined });
    expect(anthropic).toMatchObject({ flavour: 'anthropic', system: 'Sys A', userText: 'three', maxTokens: 256, jsonMode: true, jsonSchema: schema });
    expect(fake.counts()).toEqual({ openai: 1, deepseek: 1, anthropic: 1 });
  });

  it('records the request before the responder answers', async () => {
    let seen = -1;
    fake.responder = () => {
      seen = fake.requests.length;
      return reply.text('x');
    };
    await post('anthropic', messages('hi'));
    expect(seen).toBe(1);
  });

  it('estimates usage from the text when a reply gives none', async () => {
    fake.script(reply.text('12345678'));
    const { json } = await post('openai', chat('abcdefgh'));
    // "Be brief." + "abcdefgh" = 17 characters -> 5 tokens; 8 characters of answer -> 2 tokens.
    expect(json.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  });

  it('speaks each flavour usage shape from the same numbers', async () => {
    const usage = { input: 100, cached: 40, cacheWrite: 10, cacheWrite1h: 5, output: 7 };
    fake.responder = () => reply.text('x', usage);
    expect((await post('openai', chat('u'))).json.usage).toEqual({
      prompt_tokens: 155,
      completion_tokens: 7,
      total_tokens: 162,
      prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 15 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect((await post('deepseek', chat('u'))).json.usage).toEqual({
      prompt_tokens: 155,
      completion_tokens: 7,
      total_tokens: 162,
      prompt_cache_hit_tokens: 40,
      prompt_cache_miss_tokens: 115,
    });
    expect((await post('anthropic', messages('u'))).json.usage).toEqual({
      input_tokens: 100,
      output_tokens: 7,
      cache_creation_input_tokens: 15,
      cache_read_input_tokens: 40,
      cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 5 },
      service_tier: 'standard',
    });
  });

  it('marks truncated and refused answers the way each provider does', async () => {
    fake.script(reply.truncated('{"a":'), reply.refusal('No.'), reply.truncated('cut'), reply.refusal('No.'));
    expect((await post('openai', chat('u'))).json.choices[0].finish_reason).toBe('length');
    expect((await post('openai', chat('u'))).json.choices[0].message).toEqual({ role: 'assistant', content: null, refusal: 'No.' });
    expect((await post('anthropic', messages('u'))).json.stop_reason).toBe('max_tokens');
    expect((await post('anthropic', messages('u'))).json).toMatchObject({ stop_reason: 'refusal', content: [{ type: 'text', text: 'No.' }] });
  });

  it('sends OpenAI-shaped errors with retry headers on 429', async () => {
    fake.script(reply.rateLimited(1500));
    const { status, headers, json } = await post('openai', chat('u'));
    expect(status).toBe(429);
    expect(headers.get('retry-after-ms')).toBe('1500');
    expect(headers.get('retry-after')).toBe('2');
    expect(headers.get('x-request-id')).toMatch(/^req_fake_/);
    expect(json).toEqual({ error: { message: expect.any(String), type: 'requests', param: null, code: 'rate_limit_exceeded' } });
  });

  it('sends Anthropic-shaped errors with the documented types', async () => {
    fake.script(reply.overloaded(), reply.rateLimited(), reply.billing('anthropic'), reply.serverError());
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await post('anthropic', messages('u')));
    expect(answers.map((a) => [a.status, a.json.type, a.json.error.type])).toEqual([
      [529, 'error', 'overloaded_error'],
      [429, 'error', 'rate_limit_error'],
      [400, 'error', 'billing_error'],
      [500, 'error', 'api_error'],
    ]);
    expect(answers[0]?.headers.get('request-id')).toMatch(/^req_fake_/);
  });

  it('gives each provider its own billing failure', async () => {
    fake.script(reply.billing('deepseek'), reply.billing('openai'));
    const deepseek = await post('deepseek', chat('u'));
    const openai = await post('openai', chat('u'));
    expect([deepseek.status, deepseek.json.error.message]).toEqual([402, 'Insufficient Balance']);
    expect([openai.status, openai.json.error.code]).toEqual([429, 'insufficient_quota']);
  });

  it('serves a malformed and a blank answer as text', async () => {
    fake.script(reply.malformed(), reply.blank());
    expect((await post('openai', chat('u'))).json.choices[0].message.content).toBe('```json\n{"a": 1,}\n```');
    expect((await post('anthropic', messages('u'))).json.content).toEqual([]);
  });

  it('holds a hanging request until the client gives up', async () => {
    fake.script(reply.hang());
    const controller = new AbortController();
    const pending = post('openai', chat('u'), controller.signal);
    await fake.received(1);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    // The server keeps answering after a client walked away.
    expect((await post('openai', chat('again'))).status).toBe(200);
  });

  it('answers unknown paths with a 404 JSON error', async () => {
    const response = await fetch(`${fake.url}/v1/nothing`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as any).error.message).toMatch(/No fake route/);
  });

  it('reset clears the script, the requests, the counts and the responder', async () => {
    fake.script(reply.text('scripted'));
    fake.responder = () => reply.text('custom');
    await post('deepseek', chat('u'));
    fake.script(reply.text('left over'));
    fake.reset();
    expect(fake.requests).toHaveLength(0);
    expect(fake.counts()).toEqual({ openai: 0, deepseek: 0, anthropic: 0 });
    expect((await post('openai', chat('u'))).json.choices[0].message.content).toBe('{"ok":true}');
  });
});

describe('FakeProviderServer.close', () => {
  it('releases a hanging request and stops listening', async () => {
    const own = await FakeProviderServer.start({ responder: () => reply.hang() });
    const pending = fetch(`${own.baseUrl('openai')}/chat/completions`, { method: 'POST', body: JSON.stringify(chat('u')) });
    await own.received(1);
    await own.close();
    await expect(pending).rejects.toThrow();
    await expect(fetch(`${own.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});
