/** OpenAI and OpenAI-compatible servers (DeepSeek, local servers) through the official openai SDK. */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CompletionUsage } from 'openai/resources/completions';
import type { ProviderConfig } from '../config.js';
import { isDeepSeek } from './deepseek.js';
import { noRedirects } from './fetch-options.js';
import type { AdapterRequest, AdapterResponse, FailureFacts, FinishReason, ProviderAnswer, ProviderClient, Usage } from './types.js';

/** DeepSeek's own usage fields, which the SDK passes through untyped. */
interface DeepSeekUsage {
  prompt_cache_hit_tokens?: number;
  prompt_cache_miss_tokens?: number;
}

export class OpenAICompatibleClient implements ProviderClient {
  readonly acceptsJsonSchema: boolean;
  private readonly client: OpenAI;
  readonly isOpenAI: boolean;

  constructor(provider: ProviderConfig, apiKey: string) {
    this.acceptsJsonSchema = !isDeepSeek(provider);
    this.isOpenAI = provider.name === 'openai' || /\/\/api\.openai\.com/i.test(provider.baseUrl);
    this.client = openaiSdk(provider, apiKey);
  }

  async call(request: AdapterRequest): Promise<ProviderAnswer> {
    const { data: completion, response } = await this.client.chat.completions
      .create(chatBody(request, this), { signal: request.signal, timeout: request.timeoutMs })
      .withResponse();
    return { answer: readCompletion(completion, request.model), headers: response.headers };
  }

  describeFailure(error: unknown): FailureFacts | undefined {
    if (error instanceof APIUserAbortError) return { transport: 'cancelled' };
    if (error instanceof APIConnectionTimeoutError) return { transport: 'timeout' };
    if (error instanceof APIConnectionError) return { transport: 'connection', message: error.message, cause: error.cause };
    if (error instanceof APIError) {
      const body = (error.error ?? {}) as { message?: unknown };
      return {
        status: error.status,
        type: error.type ?? undefined,
        code: typeof error.code === 'string' ? error.code : undefined,
        message: typeof body.message === 'string' ? body.message : undefined,
        headers: error.headers,
      };
    }
    // Other SDK errors (e.g. an unreadable answer) have no status; their message is the SDK's own.
    if (error instanceof OpenAIError) return { message: error.message };
    return undefined;
  }
}

/** The SDK client the adapter and the batch client share: no SDK retries, no environment, no redirects. */
export function openaiSdk(provider: ProviderConfig, apiKey: string): OpenAI {
  return new OpenAI({
    apiKey,
    baseURL: provider.baseUrl,
    maxRetries: 0, // the engine owns retries and back-off
    timeout: provider.timeoutMs,
    // Explicit nulls keep the SDK from reading OPENAI_* variables: config.ts is the only reader of the environment.
    adminAPIKey: null,
    organization: null,
    project: null,
    webhookSecret: null,
    fetchOptions: noRedirects,
  });
}

/** The chat completion body for a request: also the `body` of an OpenAI Batch input line. */
export function chatBody(request: Pick<AdapterRequest, 'model' | 'system' | 'messages' | 'maxOutputTokens' | 'jsonSchema'>, target: { isOpenAI: boolean; acceptsJsonSchema: boolean }): ChatCompletionCreateParamsNonStreaming {
  const messages: ChatCompletionMessageParam[] = [];
  if (request.system) messages.push({ role: 'system', content: request.system });
  for (const message of request.messages) messages.push({ role: message.role, content: message.content });
  const body: ChatCompletionCreateParamsNonStreaming = { model: request.model, messages };
  // OpenAI deprecated max_tokens; compatible servers (DeepSeek, vLLM, Ollama) still expect it.
  if (target.isOpenAI) body.max_completion_tokens = request.maxOutputTokens;
  else body.max_tokens = request.maxOutputTokens;
  if (request.jsonSchema) {
    body.response_format = target.acceptsJsonSchema
      ? { type: 'json_schema', json_schema: { name: request.jsonSchema.name, strict: true, schema: request.jsonSchema.schema } }
      : { type: 'json_object' };
  }
  return body;
}

/** A chat completion (live, or a batch output line's body) as an adapter response. */
export function readCompletion(completion: ChatCompletion, requestedModel: string): AdapterResponse {
  const choice = completion.choices?.[0];
  return {
    text: choice?.message?.content ?? '',
    usage: normaliseUsage(completion.usage),
    finishReason: finishReason(choice),
    model: completion.model || requestedModel,
  };
}

/** `prompt_tokens` includes cached and cache-write tokens; ours exclude them from inputTokens. */
export function normaliseUsage(usage: CompletionUsage | undefined | null): Usage {
  const prompt = usage?.prompt_tokens ?? 0;
  const outputTokens = usage?.completion_tokens ?? 0;
  const deepSeek = (usage ?? {}) as DeepSeekUsage;
  if (typeof deepSeek.prompt_cache_hit_tokens === 'number' || typeof deepSeek.prompt_cache_miss_tokens === 'number') {
    const cached = deepSeek.prompt_cache_hit_tokens ?? 0;
    const inputTokens = deepSeek.prompt_cache_miss_tokens ?? Math.max(0, prompt - cached);
    return { inputTokens, cachedInputTokens: cached, cacheWriteTokens: 0, cacheWrite1hTokens: 0, outputTokens };
  }
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage?.prompt_tokens_details?.cache_write_tokens ?? 0;
  return {
    inputTokens: Math.max(0, prompt - cached - written),
    cachedInputTokens: cached,
    cacheWriteTokens: written,
    cacheWrite1hTokens: 0,
    outputTokens,
  };
}

function finishReason(choice: ChatCompletion.Choice | undefined): FinishReason {
  if (choice?.message?.refusal) return 'refusal';
  switch (choice?.finish_reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'refusal';
    default:
      return 'other';
  }
}
