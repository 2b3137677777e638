/**
 * The provider boundary. SDK-specific clients (openai-adapter.ts, anthropic-adapter.ts) make the
 * call and describe their own failures; this file owns the policy: the missing-key check, which
 * failure kind each answer means, retry-after, and messages that never carry a key or a raw body.
 */
import type { ProviderConfig } from '../config.js';
import { ProviderError, type ProviderFailureKind } from '../errors.js';
import { isDeepSeek } from './deepseek.js';
import { readRateLimits, readRetryAfterMs } from './rate-limit-headers.js';
import type { AdapterRequest, AdapterResponse, FailureFacts, ProviderAdapter, ProviderClient } from './types.js';

/** Sent as the key to servers configured without one (a local Ollama or vLLM ignores it). */
const keylessPlaceholder = 'no-key-configured';

export function createAdapter(provider: ProviderConfig): ProviderAdapter {
  return new GuardedAdapter(provider);
}

/**
 * Per-call abort signals tied to a long-lived one (a run's). An SDK adds a listener to the signal it
 * is given and openai 6 never removes it (openai/openai-node#1811): with the run's signal, every call
 * of a 20,000-call run would stay reachable, and each new listener scans the ones before it. With a
 * per-call signal the run's signal carries one listener per adapter, whatever the number of calls.
 */
class CallSignals {
  private readonly open = new WeakMap<AbortSignal, Set<AbortController>>();

  child(parent: AbortSignal): { signal: AbortSignal; close: () => void } {
    let calls = this.open.get(parent);
    if (!calls) {
      const created = new Set<AbortController>();
      calls = created;
      this.open.set(parent, created);
      parent.addEventListener('abort', () => {
        for (const call of created) call.abort(parent.reason);
        created.clear();
      }, { once: true });
    }
    const controller = new AbortController();
    calls.add(controller);
    return { signal: controller.signal, close: () => calls.delete(controller) };
  }
}

/**
 * Connection failures in a row, with no answer ever from the provider, before it counts as
 * unreachable: a wrong base URL or no network then pauses the run within seconds, instead of every
 * call backing off for minutes. Once the provider has answered, a connection failure is a blip and
 * is retried.
 */
const unreachableAfter = 3;

class GuardedAdapter implements ProviderAdapter {
  readonly provider: string;
  readonly acceptsJsonSchema: boolean;
  private readonly apiKey: string | undefined;
  /** Built on the first call: the SDK modules (about 0.3 s to load) load only once a provider is used. */
  private client: Promise<ProviderClient> | undefined;
  private readonly signals = new CallSignals();
  /** Whether the provider has answered at all (any HTTP status) since this process started. */
  private answered = false;
  private refusedInARow = 0;

  constructor(private readonly config: ProviderConfig) {
    this.provider = config.name;
    // A keyless local server (requiresKey false) still gets a stand-in: both SDKs refuse to build without
    // one and would otherwise fall back to reading the environment.
    this.apiKey = config.apiKey || (config.requiresKey === false ? keylessPlaceholder : undefined);
    this.acceptsJsonSchema = config.kind === 'anthropic' || !isDeepSeek(config);
  }

  private sdk(apiKey: string): Promise<ProviderClient> {
    const { config } = this;
    return (this.client ??=
      config.kind === 'anthropic'
        ? import('./anthropic-adapter.js').then(({ AnthropicClient }) => new AnthropicClient(config, apiKey))
        : import('./openai-adapter.js').then(({ OpenAICompatibleClient }) => new OpenAICompatibleClient(config, apiKey)));
  }

  async send(request: AdapterRequest): Promise<AdapterResponse> {
    if (!this.apiKey) {
      throw new ProviderError(this.provider, 'auth', `${this.provider} has no API key, so nothing was sent. Set ${this.config.apiKeyEnv} in the environment or .env.`);
    }
    if (request.signal?.aborted) throw this.toError({ transport: 'cancelled' }, request);
    const client = await this.sdk(this.apiKey);
    const call = request.signal ? this.signals.child(request.signal) : undefined;
    try {
      const { answer, headers } = await client.call(call ? { ...request, signal: call.signal } : request);
      this.answered = true;
      hearLimits(request, headers);
      return answer;
    } catch (error) {
      const facts = client.describeFailure(error);
      if (request.signal?.aborted) throw this.toError({ transport: 'cancelled' }, request);
      if (!facts) throw error;
      if (facts.status !== undefined) this.answered = true;
      hearLimits(request, facts.headers);
      const failure = this.toError(facts, request);
      if (failure.kind !== 'connection' || this.answered || ++this.refusedInARow < unreachableAfter) throw failure;
      throw this.toError(facts, request, 'unreachable');
    } finally {
      call?.close();
    }
  }

  private toError(facts: FailureFacts, request: AdapterRequest, kindOverride?: ProviderFailureKind): ProviderError {
    const kind = kindOverride ?? classifyFailure(facts);
    const retryAfterMs = readRetryAfterMs(facts.headers);
    const message = describe(this.config, kind, facts, request, retryAfterMs);
    return new ProviderError(this.provider, kind, message, { status: facts.status, retryAfterMs });
  }
}

/** Hands the provider's rate-limit headers, when it sent any, to whoever asked for them. */
function hearLimits(request: AdapterRequest, headers: Headers | undefined): void {
  if (!request.onRateLimits) return;
  const report = readRateLimits(headers);
  if (report) request.onRateLimits(report);
}

export function classifyFailure(facts: FailureFacts): ProviderFailureKind {
  if (facts.transport === 'connection' && causeMessages(facts.cause).includes('unexpected redirect')) return 'redirect';
  if (facts.transport) return facts.transport;
  const { status = 0 } = facts;
  const words = `${facts.type ?? ''} ${facts.code ?? ''} ${facts.message ?? ''}`.toLowerCase();
  const billing =
    status === 402 ||
    facts.type === 'billing_error' ||
    facts.type === 'insufficient_quota' ||
    facts.code === 'insufficient_quota' ||
    /enforced_spend_limit_reached|spend limit|insufficient balance/.test(words);
  if (billing) return 'billing';
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 529 || status === 503 || facts.type === 'overloaded_error') return 'overloaded';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  return 'bad_request';
}

function advice(config: ProviderConfig, kind: ProviderFailureKind, retryAfterMs: number | undefined): string {
  switch (kind) {
    case 'billing':
      return 'Top up the account or raise its spend limit; Distillery will not retry.';
    case 'auth':
      return `Check ${config.apiKeyEnv}.`;
    case 'not_found':
      return 'Check the model name in the stage config (check_setup lists it).';
    case 'rate_limited': {
      const wait = retryAfterMs === undefined ? 'back off' : `wait ${Number((retryAfterMs / 1000).toFixed(1))} s`;
      return `Distillery will ${wait} and retry; lower providers.${config.name}.concurrency or requests_per_minute if this keeps happening.`;
    }
    case 'overloaded':
      return 'The provider is busy; Distillery will back off and retry.';
    case 'server':
      return 'Distillery will retry; if it persists, check the provider status page.';
    case 'timeout':
      return `Distillery will retry; raise providers.${config.name}.timeout_ms if answers are long.`;
    case 'connection':
      return `Check providers.${config.name}.base_url (${config.baseUrl}) and the network; Distillery will retry.`;
    case 'bad_request':
      return 'The request was refused as sent, so Distillery will not retry it; check that the model supports the options used.';
    case 'unreachable':
      return `Distillery pauses rather than retry a provider it has never reached: check providers.${config.name}.base_url (now ${config.baseUrl}) and the network, then resume.`;
    case 'redirect':
      return `Distillery does not follow redirects, so the key never goes to another address: set providers.${config.name}.base_url (now ${config.baseUrl}) to the address it redirects to (https rather than http?), then resume.`;
    case 'cancelled':
      return 'Nothing was lost beyond this call.';
  }
}

function describe(config: ProviderConfig, kind: ProviderFailureKind, facts: FailureFacts, request: AdapterRequest, retryAfterMs?: number): string {
  const next = advice(config, kind, retryAfterMs);
  const said = shortMessage(withSocketCode(facts.message, facts.cause), config.apiKey);
  if (facts.status !== undefined) return `${config.name} answered ${facts.status} ${kind}: ${said || 'no message'}. ${next}`;
  if (kind === 'cancelled') return `The ${config.name} call to ${request.model} was cancelled before it was answered. ${next}`;
  if (kind === 'timeout') return `${config.name} did not answer a ${request.model} call within ${request.timeoutMs} ms (timeout). ${next}`;
  if (kind === 'redirect') return `${config.name} answered a ${request.model} call with a redirect. ${next}`;
  if (kind === 'unreachable') return `${config.name} could not be reached at ${config.baseUrl}${said ? ` (${said})` : ''}, ${unreachableAfter} times in a row, and it has not answered once since Distillery started. ${next}`;
  return `${config.name} call to ${request.model} failed (${kind})${said ? `: ${said}` : ''}. ${next}`;
}

/** One line, at most 200 characters, with the key and anything key-shaped removed. */
export function shortMessage(message: string | undefined, apiKey: string | undefined): string {
  if (!message) return '';
  let text = apiKey && apiKey.length >= 4 ? message.split(apiKey).join('[redacted]') : message;
  text = text.replace(/\bsk-[A-Za-z0-9_*.-]{6,}/g, '[redacted]').replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** The messages down an error's cause chain. */
function causeMessages(cause: unknown): string[] {
  const messages: string[] = [];
  for (let depth = 0; cause instanceof Error && depth < 4; depth += 1, cause = cause.cause) messages.push(cause.message);
  return messages;
}

/** "Connection error" plus the socket-level reason (ECONNREFUSED, ENOTFOUND) when there is one. */
function withSocketCode(message: string | undefined, cause: unknown): string | undefined {
  let reason: string | undefined;
  for (let depth = 0; cause instanceof Error && depth < 4; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    reason = typeof code === 'string' ? code : cause.message;
    cause = cause.cause;
  }
  return reason ? `${(message ?? 'Connection error').replace(/\.$/, '')} (${reason})` : message;
}
