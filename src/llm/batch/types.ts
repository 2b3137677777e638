/**
 * The providers' batch APIs in SDK-neutral terms: a set of requests goes in under a tag, a handle
 * comes back to poll, and each request's result comes out keyed by its custom id.
 */
import type { AdapterRequest, AdapterResponse } from '../types.js';

/** One request of a batch: the same fields a live call sends, with the call key as custom id. */
export interface BatchLine {
  customId: string;
  request: Pick<AdapterRequest, 'model' | 'system' | 'messages' | 'maxOutputTokens' | 'jsonSchema'>;
}

/** validating and finalizing are OpenAI's; canceling is both providers' way to say a cancel is under way. */
export type BatchState = 'validating' | 'in_progress' | 'finalizing' | 'canceling' | 'ended';

export interface BatchCounts {
  succeeded: number;
  errored: number;
  expired: number;
  canceled: number;
  processing: number;
}

export interface BatchHandle {
  id: string;
  state: BatchState;
  counts: BatchCounts;
  /** ISO times. */
  createdAt: string;
  expiresAt?: string;
  /** The provider's reason when the whole batch failed (OpenAI `failed`: a malformed input file). */
  failure?: string;
}

export type BatchResult =
  | { customId: string; outcome: 'succeeded'; response: AdapterResponse }
  | { customId: string; outcome: 'errored' | 'expired' | 'canceled'; message: string };

export interface BatchClient {
  readonly provider: string;
  /** Submits the lines; the tag goes into the batch's metadata where the provider keeps any. */
  submit(lines: BatchLine[], tag: string): Promise<BatchHandle>;
  /**
   * A batch submitted under `tag` (with `size` requests, created after `since`) whose submit answer
   * was lost, or undefined when there is none: then the submit never reached the provider.
   */
  find(tag: string, size: number, since: Date): Promise<BatchHandle | undefined>;
  retrieve(id: string): Promise<BatchHandle>;
  cancel(id: string): Promise<BatchHandle>;
  /** Every request's result once the batch has ended. */
  results(handle: BatchHandle): AsyncIterable<BatchResult>;
}

/** The providers' caps on one batch (OpenAI 50,000 requests or 200 MB; Anthropic 100,000 or 256 MB). */
export interface BatchLimits {
  maxRequests: number;
  maxBytes: number;
}

export const emptyCounts = (): BatchCounts => ({ succeeded: 0, errored: 0, expired: 0, canceled: 0, processing: 0 });
