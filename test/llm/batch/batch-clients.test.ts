/** The batch clients on the real SDKs against the fake's OpenAI Batch and Anthropic Message Batches endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatchClient, type BatchClient, type BatchHandle, type BatchLine, type BatchResult } from '../../../src/llm/batch/index.js';
import { makeWorld, sharedFake, type TestWorld } from '../../helpers.js';
import { reply } from '../../fakes/provider-server.js';

const fake = sharedFake(() => reply.json({ answer: 'yes' }, { input: 100, output: 10 }));
let world: TestWorld;
beforeAll(async () => {
  world = await makeWorld({ fake });
});
afterAll(() => world.cleanup());

const lines = (count: number): BatchLine[] =>
  Array.from({ length: count }, (_, index) => ({
    customId: `key${index}`,
    request: { model: 'm', system: 'You answer.', messages: [{ role: 'user', content: `question ${index}` }], maxOutputTokens: 64, jsonSchema: { name: 'answer', schema: { type: 'object' } } },
  }));

async function untilEnded(client: BatchClient, handle: BatchHandle): Promise<BatchHandle> {
  let current = handle;
  for (let polls = 0; current.state !== 'ended'; polls++) {
    if (polls > 20) throw new Error('batch never ended');
    current = await client.retrieve(current.id);
  }
  return current;
}

async function collect(client: BatchClient, handle: BatchHandle): Promise<Map<string, BatchResult>> {
  const results = new Map<string, BatchResult>();
  for await (const result of client.results(handle)) results.set(result.customId, result);
  return results;
}

describe.each(['openai', 'anthropic'] as const)('%s batch client', (provider) => {
  const client = () => createBatchClient(world.config.providers[provider]!);

  it('submits, polls to the end and reads every result with its usage, as live calls would answer', async () => {
    fake.batches.pollsBeforeEnd = 2;
    const batches = await client();
    const submitted = await batches.submit(lines(3), 'tag-one');
    expect(submitted.state).not.toBe('ended');
    const ended = await untilEnded(batches, submitted);
    expect(ended.counts.succeeded).toBe(3);
    const results = await collect(batches, ended);
    expect([...results.keys()].sort()).toEqual(['key0', 'key1', 'key2']);
    const first = results.get('key0')!;
    expect(first.outcome).toBe('succeeded');
    if (first.outcome === 'succeeded') {
      expect(JSON.parse(first.response.text)).toEqual({ answer: 'yes' });
      expect(first.response.usage.outputTokens).toBe(10);
      expect(first.response.usage.inputTokens).toBe(100);
    }
    // The lines went out as the live wire format: the fake read their user text.
    expect(fake.requests.map((request) => request.userText).sort()).toEqual(['question 0', 'question 1', 'question 2']);
  });

  it('reports errored and expired requests apart from the answered ones', async () => {
    fake.batches.outcome = (customId) => (customId === 'key1' ? 'errored' : customId === 'key2' ? 'expired' : 'succeeded');
    const batches = await client();
    const ended = await untilEnded(batches, await batches.submit(lines(3), 'tag-two'));
    const results = await collect(batches, ended);
    expect(results.get('key0')?.outcome).toBe('succeeded');
    expect(results.get('key1')?.outcome).toBe('errored');
    expect(results.get('key2')?.outcome).toBe('expired');
  });

  it('finds a batch whose submit answer was lost, by its tag or size', async () => {
    fake.batches.loseSubmits = 1;
    const batches = await client();
    const since = new Date(Date.now() - 1000);
    await expect(batches.submit(lines(4), 'tag-lost')).rejects.toThrow();
    const found = await batches.find('tag-lost', 4, since);
    expect(found?.id).toBe([...fake.batches.batches.keys()][0]);
    expect(await batches.find('tag-other', 7, since)).toBeUndefined();
  });

  it('cancels a batch in progress: its requests come back canceled', async () => {
    fake.batches.pollsBeforeEnd = 100;
    const batches = await client();
    const submitted = await batches.submit(lines(2), 'tag-cancel');
    const canceled = await untilEnded(batches, await batches.cancel(submitted.id));
    const results = await collect(batches, canceled);
    expect([...results.values()].map((result) => result.outcome)).toEqual(['canceled', 'canceled']);
    expect(fake.requests).toHaveLength(0);
  });
});
