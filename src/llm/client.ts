/**
 * The one `complete` call pipelines use. It owns what must happen around every provider call:
 * price lookup before spending, a budget hold for the worst case, the per-model limiter, retries of
 * transient failures, the ledger entry with the exact cost, tolerant parsing, one re-ask on a bad
 * answer and a regeneration on truncation. SDK retries are off, so every attempt passes through here.
 */
import type { Config, ProviderConfig, PriceRow } from '../config.js';
import { ConfigError, ProviderError } from '../errors.js';
import type { BudgetGuard } from '../budget/guard.js';
import { createAdapter } from './adapters.js';
import { Limiter } from './limiter.js';
import type { PaceLimits } from './pace.js';
import { PriceTable, costUsd, worstCaseUsd, isPeak } from './prices.js';
import { jsonSchemaFor, parseStructured, reaskMessage, schemaInstruction } from './structured.js';
import type { RateLimitReport } from './rate-limit-headers.js';
import { promptTokensToHold } from './tokens.js';
import { addUsage, emptyUsage, promptTokens as allPromptTokens, type ChatMessage, type LlmRequest, type LlmResult, type ModelTarget, type ProviderAdapter, type StageRole, type Usage } from './types.js';

export interface ResolvedTarget {
  provider: ProviderConfig;
  model: string;
  maxOutputTokens: number;
  price: PriceRow;
}

export interface ModelRateLimits extends PaceLimits {
  provider: string;
  model: string;
}

export interface LlmClientOptions {
  config: Config;
  prices: PriceTable;
  guard: BudgetGuard;
  /** Adapters by provider name; built from config when absent. */
  adapters?: Record<string, ProviderAdapter>;
  now?: () => Date;
  /** Pauses between retries of transient failures (tests shorten them). */
  retryDelayMs?: (attempt: number) => number;
  maxTransientRetries?: number;
}

export interface CompleteOptions<T = unknown> {
  /** The run's max_usd, enforced by the budget guard. */
  runCapUsd?: number;
  /** Records a good answer (the run's journal) before the call gives up its limiter slot. */
  onResult?: (result: LlmResult<T>) => Promise<void>;
}

/** A call that failed for good, with what it cost on the way. */
export class CallFailedError extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly costUsd: number,
    readonly usage: Usage,
    readonly attempts: number,
    /** Why earlier attempts of this call did not count, as on a successful result. */
    readonly retries: string[] = [],
  ) {
    super(message);
  }
}

const defaultRetryDelay = (attempt: number) => Math.min(30_000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);

export class LlmClient {
  private readonly adapters = new Map<string, ProviderAdapter>();
  /** Providers added at run time (an evaluation's candidate endpoint), each with its own price row. */
  private readonly endpoints = new Map<string, { provider: ProviderConfig; price: PriceRow }>();
  private readonly limiters = new Map<string, Limiter>();
  private readonly now: () => Date;

  constructor(private readonly options: LlmClientOptions) {
    this.now = options.now ?? (() => new Date());
    for (const [name, adapter] of Object.entries(options.adapters ?? {})) this.adapters.set(name, adapter);
  }

  /**
   * Adds a provider outside the config, such as a model served at a URL to evaluate. Its key lives
   * in this process only: never in the config, the catalog or the journal.
   */
  addEndpoint(provider: ProviderConfig, price: PriceRow): void {
    this.endpoints.set(provider.name, { provider, price });
    this.adapters.delete(provider.name);
  }

  hasEndpoint(name: string): boolean {
    return this.endpoints.has(name);
  }

  /** Provider, model and price for a role, or a clear error before anything is spent. */
  resolve(role: StageRole, target?: ModelTarget): ResolvedTarget {
    const stage = this.options.config.stages[role];
    const providerName = target?.provider ?? stage.provider;
    const model = target?.model ?? stage.model;
    const endpoint = this.endpoints.get(providerName);
    if (endpoint) return { provider: endpoint.provider, model, maxOutputTokens: stage.maxOutputTokens, price: { ...endpoint.price, model } };
    const provider = this.options.config.providers[providerName];
    if (!provider) {
      throw new ConfigError(`The ${role} stage uses provider "${providerName}", which is not configured. Add it under "providers" in the config file.`);
    }
    const price = this.options.prices.require(providerName, model);
    return { provider, model, maxOutputTokens: stage.maxOutputTokens, price };
  }

  /** Throws when the provider needs an API key and has none, naming the variable to set. */
  requireKey(target: ResolvedTarget): void {
    if (!target.provider.apiKey && target.provider.requiresKey) {
      throw new ConfigError(
        `${target.provider.name} has no API key, so ${target.model} cannot be called. Set ${target.provider.apiKeyEnv} in the environment or .env (check_setup shows what is configured).`,
      );
    }
  }

  async complete<T>(request: LlmRequest<T>, options: CompleteOptions<T> = {}): Promise<LlmResult<T>> {
    const target = this.resolve(request.role, request.target);
    this.requireKey(target);
    const adapter = this.adapter(target.provider);
    const limiter = this.limiter(target.provider, target.model);
    const system = adapter.acceptsJsonSchema ? request.system : `${request.system}\n\n${schemaInstruction(request.schema)}`;
    // Always sent: the adapter uses the schema where the provider takes one, and JSON mode where it does not.
    const jsonSchema = { name: request.schemaName, schema: jsonSchemaFor(request.schema) };
    const messages: ChatMessage[] = [{ role: 'user', content: request.prompt }];
    let maxOutputTokens = request.maxOutputTokens ?? target.maxOutputTokens;
    let usage = emptyUsage();
    let cost = 0;
    let attempts = 0;
    let transientFailures = 0;
    let reasked = false;
    let regenerated = false;
    let blanks = 0;
    const retries: string[] = [];
    const maxTransient = this.options.maxTransientRetries ?? 8;
    const fail = (reason: string, message: string) => new CallFailedError(reason, message, cost, usage, attempts, retries);

    for (;;) {
      const at = this.now();
      const promptTokens = promptTokensToHold(target.provider.name, system, messages.map((m) => m.content));
      const hold = this.options.guard.reserve(worstCaseUsd(target.price, promptTokens, maxOutputTokens, at), {
        runId: request.runId,
        runCapUsd: options.runCapUsd,
        useReserve: attempts > 0,
      });
      let permit;
      try {
        permit = await limiter.acquire(request.signal);
      } catch (error) {
        this.options.guard.release(hold);
        throw new ProviderError(target.provider.name, 'cancelled', `The call to ${target.model} was cancelled before it was sent.`);
      }
      attempts++;
      const started = Date.now();
      const ledgerBase = { at: at.toISOString(), runId: request.runId, stage: request.stage, sampleKey: request.sampleKey, provider: target.provider.name, model: target.model, peak: isPeak(target.price, at) };
      let response;
      let limits: RateLimitReport | undefined;
      const onRateLimits = (report: RateLimitReport) => (limits = report);
      try {
        response = await adapter.send({ model: target.model, system, messages, maxOutputTokens, jsonSchema, signal: request.signal, timeoutMs: target.provider.timeoutMs, onRateLimits });
      } catch (error) {
        const providerError = error instanceof ProviderError ? error : new ProviderError(target.provider.name, 'server', `${target.provider.name} call failed: ${(error as Error).message}`);
        permit.release(providerError.kind === 'rate_limited' ? { kind: 'rate_limited', retryAfterMs: providerError.options.retryAfterMs, limits } : { kind: 'error', limits });
        await this.options.guard.commit(hold, { ...ledgerBase, usage: emptyUsage(), costUsd: 0, outcome: 'error', error: providerError.code, durationMs: Date.now() - started });
        if (!providerError.isRetryable) throw providerError;
        retries.push(providerError.code);
        if (++transientFailures > maxTransient) {
          throw fail(providerError.code, `${target.provider.name} kept failing (${transientFailures} attempts, last: ${providerError.kind}).`);
        }
        // The limiter already waits out a 429's retry-after; other transient failures back off here.
        if (providerError.kind !== 'rate_limited') await sleep((this.options.retryDelayMs ?? defaultRetryDelay)(transientFailures), request.signal);
        continue;
      }
      const callCost = costUsd(target.price, response.usage, at);
      usage = addUsage(usage, response.usage);
      cost += callCost;
      // The permit is held until the caller has recorded the answer, so a crash can lose at most
      // the calls in flight at the limiter, answered or not.
      try {
        await this.options.guard.commit(hold, { ...ledgerBase, usage: response.usage, costUsd: callCost, outcome: 'ok', durationMs: Date.now() - started });
        if (response.finishReason === 'refusal') throw fail('output_refusal', `${target.model} refused to answer.`);
        if (response.finishReason === 'length') {
          // Never repair a truncated answer: ask again with room to finish, once.
          if (regenerated) throw fail('output_truncated', `${target.model} ran out of output tokens twice (limit ${maxOutputTokens}).`);
          regenerated = true;
          retries.push('output_truncated');
          maxOutputTokens *= 2;
          continue;
        }
        if (!response.text.trim()) {
          if (++blanks > 2) throw fail('output_blank', `${target.model} answered with blank content ${blanks} times.`);
          retries.push('output_blank');
          continue;
        }
        const parsed = parseStructured(response.text, request.schema);
        if (parsed.ok) {
          const result = { value: parsed.value, text: response.text, usage, costUsd: cost, provider: target.provider.name, model: target.model, attempts, retries };
          await options.onResult?.(result);
          return result;
        }
        if (reasked) throw fail(`output_${parsed.reason}`, `${target.model} gave an unusable answer twice (${parsed.reason}: ${parsed.detail.slice(0, 200)}).`);
        reasked = true;
        retries.push(`output_${parsed.reason}`);
        messages.push({ role: 'assistant', content: response.text }, { role: 'user', content: reaskMessage(parsed) });
      } finally {
        // All prompt tokens, cached ones too: an over-count keeps a token limit's pace on the safe side.
        permit.release({ kind: 'ok', limits, tokens: { input: allPromptTokens(response.usage), output: response.usage.outputTokens } });
      }
    }
  }

  limiterStats() {
    return [...this.limiters.values()].map((limiter) => limiter.stats());
  }

  /**
   * The pace of each model in `targets` and each one called since start: learned from the provider's
   * headers once it has answered, else the configured requests_per_minute or the built-in guess.
   */
  rateLimits(targets: ModelTarget[]): ModelRateLimits[] {
    const paces = new Map<string, ModelRateLimits>();
    for (const { provider: name, model } of targets) {
      const provider = this.options.config.providers[name];
      if (provider) paces.set(`${name}/${model}`, { provider: name, model, requestsPerMinute: provider.requestsPerMinute, source: provider.requestsPerMinuteSource ?? 'config' });
    }
    for (const [key, limiter] of this.limiters) {
      const slash = key.indexOf('/');
      paces.set(key, { provider: key.slice(0, slash), model: key.slice(slash + 1), ...limiter.stats().limits });
    }
    return [...paces.values()];
  }

  private adapter(provider: ProviderConfig): ProviderAdapter {
    let adapter = this.adapters.get(provider.name);
    if (!adapter) {
      adapter = createAdapter(provider);
      this.adapters.set(provider.name, adapter);
    }
    return adapter;
  }

  private limiter(provider: ProviderConfig, model: string): Limiter {
    const name = `${provider.name}/${model}`;
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = new Limiter({ name, concurrency: provider.concurrency, requestsPerMinute: provider.requestsPerMinute, source: provider.requestsPerMinuteSource });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}
