import type { z } from 'zod';
import type { RateLimitReport } from './rate-limit-headers.js';

export { addUsage, emptyUsage, promptTokens, type ProviderKind, type StageRole, type Usage } from '../provider-types.js';
import type { StageRole, Usage } from '../provider-types.js';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** One raw request to a provider, as the adapters take it. */
export interface AdapterRequest {
  model: string;
  system: string;
  messages: ChatMessage[];
  maxOutputTokens: number;
  /** JSON schema for structured output, sent where the provider accepts one. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  signal?: AbortSignal;
  timeoutMs: number;
  /** Hears the provider's rate-limit headers, on an answer or an error, when it sent any. */
  onRateLimits?: (report: RateLimitReport) => void;
}

export type FinishReason = 'stop' | 'length' | 'refusal' | 'other';

/** One raw answer from a provider. */
export interface AdapterResponse {
  text: string;
  usage: Usage;
  finishReason: FinishReason;
  /** The model the provider says answered. */
  model: string;
}

/** The provider boundary: one small call per wire format. Errors are ProviderError. */
export interface ProviderAdapter {
  readonly provider: string;
  /** Whether the provider accepts a JSON schema (true) or only JSON mode with the schema in the prompt. */
  readonly acceptsJsonSchema: boolean;
  send(request: AdapterRequest): Promise<AdapterResponse>;
}

export interface ModelTarget {
  provider: string;
  model: string;
}

/** What a pipeline stage asks of the LLM layer. */
export interface LlmRequest<T> {
  /** Pipeline stage label for the ledger, e.g. `distill.generate`. */
  stage: string;
  /** Which configured provider and model answers; `target` overrides it (ensemble teachers). */
  role: StageRole;
  target?: ModelTarget;
  /** Run the call belongs to (ledger and per-run cap). */
  runId?: string;
  /** Stable key of the sample or chunk this call serves, for the ledger. */
  sampleKey?: string;
  system: string;
  prompt: string;
  schema: z.ZodType<T>;
  /** Name of the structured output, e.g. `qa_pairs`. */
  schemaName: string;
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

export interface LlmResult<T> {
  value: T;
  text: string;
  usage: Usage;
  costUsd: number;
  provider: string;
  model: string;
  /** Attempts sent to the provider, re-asks and retries included. */
  attempts: number;
  /** Why earlier attempts of this call did not count (e.g. `provider_rate_limited`, `output_malformed_json`). */
  retries: string[];
}

/** What an SDK client can tell about a failed call, in SDK-neutral terms. */
export interface FailureFacts {
  status?: number;
  /** The provider's error type, e.g. `billing_error`, `insufficient_quota`. */
  type?: string;
  /** The provider's error code, e.g. `insufficient_quota`. */
  code?: string;
  /** The provider's own human message (never the raw body). */
  message?: string;
  headers?: Headers;
  /** Set when no HTTP answer arrived. */
  transport?: 'timeout' | 'cancelled' | 'connection';
  /** The underlying socket error, for its code (ECONNREFUSED, ENOTFOUND). */
  cause?: unknown;
}

/** One SDK speaking one wire format; errors it throws are read back by `describeFailure`. */
/** An answer and the HTTP headers it came with (for the rate-limit headers). */
export interface ProviderAnswer {
  answer: AdapterResponse;
  headers: Headers;
}

export interface ProviderClient {
  readonly acceptsJsonSchema: boolean;
  call(request: AdapterRequest): Promise<ProviderAnswer>;
  /** Undefined when the error did not come from the SDK (a bug on our side: rethrown as is). */
  describeFailure(error: unknown): FailureFacts | undefined;
}
