/** Anthropic Message Batches through the official SDK: requests inline, results as JSONL from results_url. */
import type Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import type { ProviderConfig } from '../../config.js';
import { anthropicSdk, messageBody, readMessage } from '../anthropic-adapter.js';
import type { BatchClient, BatchHandle, BatchLine, BatchResult } from './types.js';

export class AnthropicBatchClient implements BatchClient {
  readonly provider: string;
  private readonly client: Anthropic;

  constructor(provider: ProviderConfig, apiKey: string) {
    this.provider = provider.name;
    this.client = anthropicSdk(provider, apiKey);
  }

  async submit(lines: BatchLine[]): Promise<BatchHandle> {
    const batch = await this.client.messages.batches.create({ requests: lines.map((line) => ({ custom_id: line.customId, params: messageBody(line.request) })) });
    return handle(batch);
  }

  /**
   * Message batches carry no metadata, so a lost submit is matched by time and size: a batch created
   * since the submit was journaled (less a minute of clock skew) with exactly as many requests.
   */
  async find(_tag: string, size: number, since: Date): Promise<BatchHandle | undefined> {
    for await (const batch of this.client.messages.batches.list({ limit: 100 })) {
      const created = Date.parse(batch.created_at);
      if (created < since.getTime() - 60_000) return undefined;
      const counts = batch.request_counts;
      if (counts.processing + counts.succeeded + counts.errored + counts.expired + counts.canceled === size) return handle(batch);
    }
    return undefined;
  }

  async retrieve(id: string): Promise<BatchHandle> {
    return handle(await this.client.messages.batches.retrieve(id));
  }

  async cancel(id: string): Promise<BatchHandle> {
    return handle(await this.client.messages.batches.cancel(id));
  }

  async *results(batchHandle: BatchHandle): AsyncIterable<BatchResult> {
    for await (const line of await this.client.messages.batches.results(batchHandle.id)) yield readLine(line);
  }
}

function readLine(line: MessageBatchIndividualResponse): BatchResult {
  const customId = line.custom_id;
  const result = line.result;
  if (result.type === 'succeeded') return { customId, outcome: 'succeeded', response: readMessage(result.message, '') };
  if (result.type === 'errored') return { customId, outcome: 'errored', message: `${result.error.error.type}: ${result.error.error.message}` };
  return { customId, outcome: result.type, message: `the request was ${result.type} before it was processed` };
}

function handle(batch: MessageBatch): BatchHandle {
  const { succeeded, errored, expired, canceled, processing } = batch.request_counts;
  return {
    id: batch.id,
    state: batch.processing_status,
    counts: { succeeded, errored, expired, canceled, processing },
    createdAt: batch.created_at,
    expiresAt: batch.expires_at,
  };
}
