/**
 * A loopback fake of the OpenAI, DeepSeek and Anthropic HTTP APIs, so tests drive the real SDKs.
 * Replies come from a script queue first, then from a responder function. Quiet and fast: a
 * 10,000-call benchmark runs against it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { FakeRateLimits } from './rate-limits.js';
import { FakeBatches } from './fake-batches.js';

export type Flavour = 'openai' | 'deepseek' | 'anthropic';

export interface FakeRequest {
  flavour: Flavour;
  path: string;
  headers: Record<string, string>;
  body: any;
  model: string;
  system: string;
  /** All user message text joined with a blank line. */
  userText: string;
  /** The JSON schema object, when the request sent one (OpenAI json_schema, Anthropic output_config.format). */
  jsonSchema?: unknown;
  jsonMode: boolean;
  maxTokens: number;
}

/** `input` is the uncached prompt tokens. */
export interface FakeUsage {
  input: number;
  cached: number;
  cacheWrite: number;
  cacheWrite1h: number;
  output: number;
}

export type FakeReply =
  | { kind: 'text'; text: string; usage?: Partial<FakeUsage>; finish?: 'stop' | 'length' | 'refusal'; latencyMs?: number }
  | {
      kind: 'error';
      status: number;
      type?: string;
      code?: string;
      message?: string;
      retryAfterMs?: number;
      retryAfterSeconds?: number;
      latencyMs?: number;
    }
  /** Never answers until the client gives up or the server closes (for timeouts). */
  | { kind: 'hang' };

export type Responder = (request: FakeRequest) => FakeReply | Promise<FakeReply>;

const defaultResponder: Responder = () => reply.json({ ok: true });

export class FakeProviderServer {
  responder: Responder = defaultResponder;
  latencyMs = 0;
  /** The rate-limit headers every answer carries, and optionally a requests-per-minute limit it enforces. */
  readonly rateLimits = new FakeRateLimits();
  readonly requests: FakeRequest[] = [];
  /** The batch APIs (OpenAI Batch, Anthropic Message Batches), answered by the same queue and responder. */
  readonly batches = new FakeBatches((flavour, path, body) => this.answer(flavour, path, {}, body, new AbortController().signal), () => this.url);
  private readonly queue: FakeReply[] = [];
  private readonly tally: Record<Flavour, number> = { openai: 0, deepseek: 0, anthropic: 0 };
  /** Wake-ups for requests that are sleeping or hanging, so close() leaves nothing behind. */
  private readonly waiting = new Set<() => void>();
  /** Tests waiting for a number of requests to arrive (received()). */
  private readonly arrivals: { count: number; flavour?: Flavour; arrived: () => void }[] = [];
  private server: Server | undefined;
  private address = '';
  private served = 0;

  static async start(options: { latencyMs?: number; responder?: Responder } = {}): Promise<FakeProviderServer> {
    const fake = new FakeProviderServer();
    fake.latencyMs = options.latencyMs ?? 0;
    if (options.responder) fake.responder = options.responder;
    await fake.listen();
    return fake;
  }

  /** Starts serving on a free loopback port (start() does this; a test file's shared fake calls it in beforeAll). */
  async listen(): Promise<void> {
    const app = new Hono();
    const route = (flavour: Flavour) => (c: Context) => this.handle(flavour, c);
    app.post('/v1/chat/completions', route('openai'));
    app.post('/chat/completions', route('openai'));
    app.post('/deepseek/chat/completions', route('deepseek'));
    app.post('/deepseek/v1/chat/completions', route('deepseek'));
    app.post('/v1/messages', route('anthropic'));
    this.batches.register(app);
    app.notFound((c) => c.json(errorBody('openai', { kind: 'error', status: 404, message: `No fake route for ${c.req.method} ${c.req.path}` }), 404));
    await new Promise<void>((resolve, reject) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        this.address = `http://127.0.0.1:${info.port}`;
        resolve();
      });
      server.once('error', reject);
      this.server = server as Server;
    });
  }

  /** http://127.0.0.1:PORT */
  get url(): string {
    return this.address;
  }

  baseUrl(flavour: Flavour): string {
    if (flavour === 'openai') return `${this.url}/v1`;
    if (flavour === 'deepseek') return `${this.url}/deepseek`;
    return this.url;
  }

  /** Queued replies are served first, in order, before the responder is asked. */
  script(...replies: FakeReply[]): void {
    this.queue.push(...replies);
  }

  /** Resolves once `count` requests (of `flavour`, or of any) have arrived since the last reset: wait on it instead of polling. */
  received(count: number, flavour?: Flavour): Promise<void> {
    return new Promise((arrived) => {
      this.arrivals.push({ count, flavour, arrived });
      this.announceArrivals();
    });
  }

  counts(): Record<Flavour, number> {
    return { ...this.tally };
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
    this.tally.openai = this.tally.deepseek = this.tally.anthropic = 0;
    this.responder = defaultResponder;
    this.rateLimits.configure({});
    this.batches.reset();
  }

  async close(): Promise<void> {
    for (const wake of [...this.waiting]) wake();
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(flavour: Flavour, c: Context): Promise<Response> {
    let body: any;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody(flavour, { kind: 'error', status: 400, message: 'The request body is not valid JSON.' }), 400);
    }
    const answer = await this.answer(flavour, c.req.path, c.req.header(), body, c.req.raw.signal);
    if (!answer) return new Response(null, { status: 503 });
    return c.json(answer.body, answer.status as 200, answer.headers);
  }

  /**
   * One request through the script queue or the responder, as a status and JSON body: live calls
   * and every line of a batch are answered by the same code. Undefined for a hang the client gave up on.
   */
  async answer(flavour: Flavour, path: string, headers: Record<string, string>, body: any, clientGone: AbortSignal): Promise<{ status: number; body: object; headers: Record<string, string> } | undefined> {
    const request = readRequest(flavour, path, headers, body);
    this.requests.push(request);
    this.tally[flavour] += 1;
    this.announceArrivals();
    const requestId = `req_fake_${++this.served}`;
    const refusedForMs = this.rateLimits.refuse(flavour, request.model);
    if (refusedForMs !== undefined) {
      const headers = { 'x-request-id': requestId, ...this.rateLimits.current(flavour, request.model) };
      return this.fail(flavour, { ...(reply.rateLimited(refusedForMs) as ErrorReply), message: 'Rate limit reached for requests per minute (fake).' }, headers);
    }
    const next = this.queue.shift() ?? (await this.responder(request));

    if (next.kind === 'hang') {
      await this.wait(undefined, clientGone);
      return undefined;
    }
    const latency = next.latencyMs ?? this.latencyMs;
    if (latency > 0) await this.wait(latency, clientGone);

    const replyHeaders: Record<string, string> = { 'x-request-id': requestId };
    if (flavour === 'anthropic') replyHeaders['request-id'] = requestId;
    if (next.kind === 'error') return this.fail(flavour, next, { ...replyHeaders, ...this.rateLimits.current(flavour, request.model) });
    const usage = fillUsage(next, request);
    const input = usage.input + usage.cached + usage.cacheWrite + usage.cacheWrite1h;
    Object.assign(replyHeaders, this.rateLimits.spend(flavour, request.model, input, usage.output));
    return { status: 200, body: successBody(flavour, requestId, request.model, next, usage), headers: replyHeaders };
  }

  /** An error answer with its retry-after headers. */
  private fail(flavour: Flavour, next: ErrorReply, headers: Record<string, string>): { status: number; body: object; headers: Record<string, string> } {
    if (next.retryAfterMs !== undefined) headers['retry-after-ms'] = String(next.retryAfterMs);
    if (next.retryAfterSeconds !== undefined) headers['retry-after'] = String(next.retryAfterSeconds);
    return { status: next.status, body: errorBody(flavour, next), headers };
  }

  private announceArrivals(): void {
    for (const waiter of [...this.arrivals]) {
      if ((waiter.flavour ? this.tally[waiter.flavour] : this.requests.length) < waiter.count) continue;
      this.arrivals.splice(this.arrivals.indexOf(waiter), 1);
      waiter.arrived();
    }
  }

  /** Resolves after `ms` (forever when undefined), when the client goes away, or on close(). */
  private wait(ms: number | undefined, clientGone: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        clientGone.removeEventListener('abort', wake);
        this.waiting.delete(wake);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(wake, ms);
      this.waiting.add(wake);
      if (clientGone.aborted) wake();
      else clientGone.addEventListener('abort', wake, { once: true });
    });
  }
}

export const reply = {
  json: (value: unknown, usage?: Partial<FakeUsage>): FakeReply => reply.text(JSON.stringify(value), usage),
  text: (text: string, usage?: Partial<FakeUsage>, finish: 'stop' | 'length' | 'refusal' = 'stop'): FakeReply =>
    usage ? { kind: 'text', text, usage, finish } : { kind: 'text', text, finish },
  rateLimited: (retryAfterMs = 10): FakeReply => ({
    kind: 'error',
    status: 429,
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again shortly.',
    retryAfterMs,
    retryAfterSeconds: Math.ceil(retryAfterMs / 1000),
  }),
  serverError: (): FakeReply => ({ kind: 'error', status: 500, message: 'The server had an error while processing your request.' }),
  overloaded: (): FakeReply => ({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' }),
  billing: (flavour: Flavour): FakeReply => {
    if (flavour === 'deepseek') return { kind: 'error', status: 402, type: 'unknown_error', code: 'invalid_request_error', message: 'Insufficient Balance' };
    if (flavour === 'openai') {
      const message = 'You exceeded your current quota, please check your plan and billing details.';
      return { kind: 'error', status: 429, type: 'insufficient_quota', code: 'insufficient_quota', message };
    }
    const message = 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
    return { kind: 'error', status: 400, type: 'billing_error', message };
  },
  /** Broken but repairable: a code fence and a trailing comma. */
  malformed: (): FakeReply => reply.text('```json\n{"a": 1,}\n```'),
  truncated: (text: string): FakeReply => reply.text(text, undefined, 'length'),
  refusal: (text = "I'm sorry, I can't help with that."): FakeReply => reply.text(text, undefined, 'refusal'),
  blank: (): FakeReply => reply.text(''),
  hang: (): FakeReply => ({ kind: 'hang' }),
};

/** Deterministic stand-in for a tokenizer: about four characters a token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

function fillUsage(next: Extract<FakeReply, { kind: 'text' }>, request: FakeRequest): FakeUsage {
  const usage: FakeUsage = { input: estimateTokens(request.system + request.userText), cached: 0, cacheWrite: 0, cacheWrite1h: 0, output: estimateTokens(next.text) };
  for (const [key, value] of Object.entries(next.usage ?? {})) if (value !== undefined) usage[key as keyof FakeUsage] = value;
  return usage;
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .filter((part) => part && typeof part === 'object' && typeof part.text === 'string')
    .map((part) => part.text as string)
    .join('\n\n');
}

function readRequest(flavour: Flavour, path: string, headers: Record<string, string>, body: any): FakeRequest {
  const messages: any[] = Array.isArray(body?.messages) ? body.messages : [];
  const textOf = (role: string) => messages.filter((m) => m?.role === role).map((m) => contentText(m.content));
  const userText = textOf('user').join('\n\n');
  if (flavour === 'anthropic') {
    const jsonSchema = body?.output_config?.format?.schema;
    return {
      flavour, path, headers, body, userText, jsonSchema,
      model: String(body?.model ?? ''),
      system: contentText(body?.system),
      jsonMode: jsonSchema !== undefined,
      maxTokens: Number(body?.max_tokens ?? 0),
    };
  }
  const format = body?.response_format;
  const jsonSchema = format?.type === 'json_schema' ? format.json_schema?.schema : undefined;
  return {
    flavour, path, headers, body, userText, jsonSchema,
    model: String(body?.model ?? ''),
    system: [...textOf('system'), ...textOf('developer')].join('\n\n'),
    jsonMode: format?.type === 'json_object' || format?.type === 'json_schema',
    maxTokens: Number(body?.max_completion_tokens ?? body?.max_tokens ?? 0),
  };
}


type TextReply = Extract<FakeReply, { kind: 'text' }>;
type ErrorReply = Extract<FakeReply, { kind: 'error' }>;

function successBody(flavour: Flavour, id: string, model: string, next: TextReply, usage: FakeUsage): object {
  const finish = next.finish ?? 'stop';
  if (flavour === 'anthropic') {
    return {
      id: `msg_${id}`,
      type: 'message',
      role: 'assistant',
      model,
      content: next.text ? [{ type: 'text', text: next.text }] : [],
      stop_reason: finish === 'length' ? 'max_tokens' : finish === 'refusal' ? 'refusal' : 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: usage.input,
        output_tokens: usage.output,
        cache_creation_input_tokens: usage.cacheWrite + usage.cacheWrite1h,
        cache_read_input_tokens: usage.cached,
        cache_creation: { ephemeral_5m_input_tokens: usage.cacheWrite, ephemeral_1h_input_tokens: usage.cacheWrite1h },
        service_tier: 'standard',
      },
    };
  }
  const refused = finish === 'refusal' && flavour === 'openai';
  const message =
    flavour === 'openai'
      ? { role: 'assistant', content: refused ? null : next.text, refusal: refused ? next.text : null }
      : { role: 'assistant', content: next.text };
  const prompt = usage.input + usage.cached + usage.cacheWrite + usage.cacheWrite1h;
  const usageBody =
    flavour === 'openai'
      ? {
          prompt_tokens_details: { cached_tokens: usage.cached, cache_write_tokens: usage.cacheWrite + usage.cacheWrite1h },
          completion_tokens_details: { reasoning_tokens: 0 },
        }
      : { prompt_cache_hit_tokens: usage.cached, prompt_cache_miss_tokens: prompt - usage.cached };
  return {
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message, finish_reason: finish === 'length' ? 'length' : flavour === 'deepseek' && finish === 'refusal' ? 'content_filter' : 'stop', logprobs: null }],
    usage: { prompt_tokens: prompt, completion_tokens: usage.output, total_tokens: prompt + usage.output, ...usageBody },
  };
}

const anthropicErrorTypes: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const openaiErrorTypes: Record<number, string> = {
  401: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
};

function errorBody(flavour: Flavour, next: ErrorReply): object {
  const message = next.message ?? `Fake ${flavour} error with status ${next.status}.`;
  if (flavour === 'anthropic') {
    return { type: 'error', error: { type: next.type ?? anthropicErrorTypes[next.status] ?? (next.status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
  }
  const type = next.type ?? openaiErrorTypes[next.status] ?? (next.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message, type, param: null, code: next.code ?? null } };
}
