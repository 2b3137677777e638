/** Anthropic's Messages API through the official @anthropic-ai/sdk. */
import Anthropic, { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsNonStreaming, Usage as AnthropicUsage } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderConfig } from '../config.js';
import { noRedirects } from './fetch-options.js';
import type { AdapterRequest, AdapterResponse, FailureFacts, FinishReason, ProviderAnswer, ProviderClient, Usage } from './types.js';

export class AnthropicClient implements ProviderClient {
  readonly acceptsJsonSchema = true;
  private readonly client: Anthropic;

  constructor(provider: ProviderConfig, apiKey: string) {
    this.client = anthropicSdk(provider, apiKey);
  }

  async call(request: AdapterRequest): Promise<ProviderAnswer> {
    const { data: message, response } = await this.client.messages.create(messageBody(request), { signal: request.signal, timeout: request.timeoutMs }).withResponse();
    return { answer: readMessage(message, request.model), headers: response.headers };
  }

  describeFailure(error: unknown): FailureFacts | undefined {
    if (error instanceof APIUserAbortError) return { transport: 'cancelled' };
    if (error instanceof APIConnectionTimeoutError) return { transport: 'timeout' };
    if (error instanceof APIConnectionError) return { transport: 'connection', message: error.message, cause: error.cause };
    if (error instanceof APIError) {
      return {
        status: error.status,
        type: error.type ?? undefined,
        code: error.errorCode ?? undefined,
        message: error.apiMessage ?? undefined,
        headers: error.headers,
      };
    }
    // Other SDK errors (e.g. "Streaming is required") have no status; their message is the SDK's own.
    if (error instanceof AnthropicError) return { message: error.message };
    return undefined;
  }
}

/** The SDK client the adapter and the batch client share: no SDK retries, no redirects. */
export function anthropicSdk(provider: ProviderConfig, apiKey: string): Anthropic {
  return new Anthropic({
    apiKey,
    baseURL: provider.baseUrl,
    maxRetries: 0, // the engine owns retries and back-off
    // Always explicit: without a timeout the SDK refuses large max_tokens ("Streaming is required").
    timeout: provider.timeoutMs,
    webhookKey: null,
    fetchOptions: noRedirects,
  });
}

/** The Messages API body for a request: also the `params` of a Message Batches request. */
export function messageBody(request: Pick<AdapterRequest, 'model' | 'system' | 'messages' | 'maxOutputTokens' | 'jsonSchema'>): MessageCreateParamsNonStreaming {
  // No temperature: the API version this SDK sends rejects it.
  const body: MessageCreateParamsNonStreaming = {
    model: request.model,
    max_tokens: request.maxOutputTokens,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
  };
  if (request.system) body.system = request.system;
  if (request.jsonSchema) body.output_config = { format: { type: 'json_schema', schema: request.jsonSchema.schema } };
  return body;
}

/** A message (live, or a succeeded batch result's) as an adapter response. */
export function readMessage(message: Message, requestedModel: string): AdapterResponse {
  return {
    text: messageText(message),
    usage: normaliseUsage(message.usage),
    finishReason: finishReason(message.stop_reason),
    model: message.model || requestedModel,
  };
}

/** `input_tokens` already excludes cache reads and writes; the 1h writes are split out of the writes. */
export function normaliseUsage(usage: Partial<AnthropicUsage> | undefined): Usage {
  const written = usage?.cache_creation_input_tokens ?? 0;
  const writtenHour = usage?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  return {
    inputTokens: usage?.input_tokens ?? 0,
    cachedInputTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: Math.max(0, written - writtenHour),
    cacheWrite1hTokens: writtenHour,
    outputTokens: usage?.output_tokens ?? 0,
  };
}

function messageText(message: Message): string {
  let text = '';
  for (const block of message.content ?? []) if (block.type === 'text') text += block.text;
  return text;
}

function finishReason(stopReason: Message['stop_reason']): FinishReason {
  // Running out of context window truncates the answer just as max_tokens does.
  if (stopReason === 'max_tokens' || stopReason === 'model_context_window_exceeded') return 'length';
  if (stopReason === 'refusal') return 'refusal';
  return 'stop';
}
