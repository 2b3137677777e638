/** OpenAI Batch through the official SDK: a JSONL input file (purpose batch), a batch, output and error files. */
import { toFile, type OpenAI } from 'openai';
import type { Batch } from 'openai/resources/batches';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { ProviderConfig } from '../../config.js';
import { chatBody, openaiSdk, readCompletion } from '../openai-adapter.js';
import { emptyCounts, type BatchClient, type BatchHandle, type BatchLine, type BatchResult, type BatchState } from './types.js';

/** The metadata key that carries Distillery's tag, so a batch whose submit answer was lost is found again. */
export const tagKey = 'distillery_batch';

interface OutputLine {
  custom_id: string;
  response?: { status_code: number; body?: unknown } | null;
  error?: { code?: string; message?: string } | null;
}

export class OpenAIBatchClient implements BatchClient {
  readonly provider: string;
  private readonly client: OpenAI;

  constructor(provider: ProviderConfig, apiKey: string) {
    this.provider = provider.name;
    this.client = openaiSdk(provider, apiKey);
  }

  async submit(lines: BatchLine[], tag: string): Promise<BatchHandle> {
    const text = lines
      .map((line) => JSON.stringify({ custom_id: line.customId, method: 'POST', url: '/v1/chat/completions', body: chatBody({ ...line.request, messages: line.request.messages }, { isOpenAI: true, acceptsJsonSchema: true }) }))
      .join('\n');
    const file = await this.client.files.create({ file: await toFile(Buffer.from(`${text}\n`), `${tag}.jsonl`), purpose: 'batch' });
    const batch = await this.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { [tagKey]: tag } });
    return handle(batch);
  }

  async find(tag: string, _size: number, since: Date): Promise<BatchHandle | undefined> {
    // Newest first; a lost submit is at most minutes old, so the first pages suffice.
    for await (const batch of this.client.batches.list({ limit: 100 })) {
      if (batch.metadata?.[tagKey] === tag) return handle(batch);
      if (batch.created_at * 1000 < since.getTime() - 60_000) return undefined;
    }
    return undefined;
  }

  async retrieve(id: string): Promise<BatchHandle> {
    return handle(await this.client.batches.retrieve(id));
  }

  async cancel(id: string): Promise<BatchHandle> {
    return handle(await this.client.batches.cancel(id));
  }

  async *results(batchHandle: BatchHandle): AsyncIterable<BatchResult> {
    const batch = await this.client.batches.retrieve(batchHandle.id);
    for (const fileId of [batch.output_file_id, batch.error_file_id]) {
      if (!fileId) continue;
      const response = await this.client.files.content(fileId);
      const text = await response.text();
      for (const raw of text.split('\n')) if (raw.trim()) yield readLine(JSON.parse(raw) as OutputLine);
    }
  }
}

function readLine(line: OutputLine): BatchResult {
  const customId = line.custom_id;
  const status = line.response?.status_code;
  if (status === 200 && line.response?.body) return { customId, outcome: 'succeeded', response: readCompletion(line.response.body as ChatCompletion, '') };
  const code = line.error?.code ?? '';
  const message = line.error?.message ?? errorMessageOf(line.response?.body) ?? `status ${status ?? 'none'}`;
  if (code === 'batch_expired') return { customId, outcome: 'expired', message };
  if (code === 'batch_cancelled') return { customId, outcome: 'canceled', message };
  return { customId, outcome: 'errored', message: status ? `${status}: ${message}` : message };
}

function errorMessageOf(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}

const endedStates = new Set<Batch['status']>(['completed', 'expired', 'cancelled', 'failed']);

function handle(batch: Batch): BatchHandle {
  const state: BatchState = endedStates.has(batch.status) ? 'ended' : batch.status === 'cancelling' ? 'canceling' : (batch.status as 'validating' | 'in_progress' | 'finalizing');
  const counts = emptyCounts();
  const total = batch.request_counts?.total ?? 0;
  counts.succeeded = batch.request_counts?.completed ?? 0;
  counts.errored = batch.request_counts?.failed ?? 0;
  counts.processing = state === 'ended' ? 0 : Math.max(0, total - counts.succeeded - counts.errored);
  const failure = batch.status === 'failed' ? (batch.errors?.data?.map((error) => error.message).join('; ') || 'the batch failed validation') : undefined;
  return {
    id: batch.id,
    state,
    counts,
    createdAt: new Date(batch.created_at * 1000).toISOString(),
    ...(batch.expires_at ? { expiresAt: new Date(batch.expires_at * 1000).toISOString() } : {}),
    ...(failure ? { failure } : {}),
  };
}
