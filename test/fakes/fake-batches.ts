/**
 * The fake provider's batch APIs: OpenAI Batch (files with purpose batch, batches, output and error
 * files) and Anthropic Message Batches (results JSONL from an absolute results_url). Every line is
 * answered by the fake's own `answer`, so a batch gets what the same live calls would. Scripted:
 * polls before a batch ends, per-request errors and expiry, and submits whose answer is lost.
 */
import type { Context, Hono } from 'hono';
import type { Flavour } from './provider-server.js';

type Answer = (flavour: Flavour, path: string, body: unknown) => Promise<{ status: number; body: object } | undefined>;

export type LineOutcome = 'succeeded' | 'errored' | 'expired';

interface FakeLine {
  customId: string;
  body: any;
}
interface FakeResult {
  customId: string;
  outcome: LineOutcome | 'canceled';
  status?: number;
  body?: object;
}

export interface FakeBatch {
  id: string;
  flavour: 'openai' | 'anthropic';
  lines: FakeLine[];
  createdAt: number;
  metadata: Record<string, string>;
  inputFileId?: string;
  polls: number;
  canceled: boolean;
  results?: FakeResult[];
  outputFileId?: string;
  errorFileId?: string;
}

export class FakeBatches {
  readonly batches = new Map<string, FakeBatch>();
  private readonly files = new Map<string, string>();
  /** Retrieves a batch answers `in_progress` before it ends (0: ended at its first retrieve). */
  pollsBeforeEnd = 0;
  /** What becomes of each request; default every one is answered. */
  outcome: (customId: string, index: number) => LineOutcome = () => 'succeeded';
  /** The next this-many submits create their batch and then answer 500, as if the answer was lost. */
  loseSubmits = 0;
  private next = 0;

  constructor(private readonly answer: Answer, private readonly baseUrl: () => string) {}

  reset(): void {
    this.batches.clear();
    this.files.clear();
    this.pollsBeforeEnd = 0;
    this.outcome = () => 'succeeded';
    this.loseSubmits = 0;
  }

  /** Requests submitted across all batches, by custom id: a request sent twice shows as 2. */
  submittedCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const batch of this.batches.values()) for (const line of batch.lines) counts.set(line.customId, (counts.get(line.customId) ?? 0) + 1);
    return counts;
  }

  register(app: Hono): void {
    app.post('/v1/files', (c) => this.uploadFile(c));
    app.get('/v1/files/:id/content', (c) => {
      const text = this.files.get(c.req.param('id') ?? '');
      return text === undefined ? c.json({ error: { message: 'No such file', type: 'invalid_request_error', param: null, code: null } }, 404) : c.text(text);
    });
    app.post('/v1/batches', (c) => this.createOpenAI(c));
    app.get('/v1/batches', (c) => c.json(this.listBody('openai')));
    app.get('/v1/batches/:id', (c) => this.retrieve(c, 'openai'));
    app.post('/v1/batches/:id/cancel', (c) => this.cancel(c, 'openai'));
    app.post('/v1/messages/batches', (c) => this.createAnthropic(c));
    app.get('/v1/messages/batches', (c) => c.json(this.listBody('anthropic')));
    app.get('/v1/messages/batches/:id', (c) => this.retrieve(c, 'anthropic'));
    app.post('/v1/messages/batches/:id/cancel', (c) => this.cancel(c, 'anthropic'));
    app.get('/v1/messages/batches/:id/results', async (c) => {
      const batch = this.batches.get(c.req.param('id') ?? '');
      if (!batch?.results) return c.json({ type: 'error', error: { type: 'not_found_error', message: 'No results yet' } }, 404);
      return c.body(batch.results.map((result) => JSON.stringify(anthropicResult(result))).join('\n') + '\n', 200, { 'content-type': 'application/binary' });
    });
  }

  private async uploadFile(c: Context): Promise<Response> {
    const form = await c.req.parseBody();
    const file = form.file;
    if (form.purpose !== 'batch' || !(file instanceof File)) return c.json({ error: { message: 'purpose must be batch, with a file', type: 'invalid_request_error', param: 'purpose', code: null } }, 400);
    const id = `file-${++this.next}`;
    const text = await file.text();
    this.files.set(id, text);
    return c.json({ id, object: 'file', bytes: text.length, created_at: now(), filename: file.name, purpose: 'batch', status: 'processed' });
  }

  private async createOpenAI(c: Context): Promise<Response> {
    const body = await c.req.json();
    const text = this.files.get(body.input_file_id);
    if (text === undefined) return c.json({ error: { message: `No file ${body.input_file_id}`, type: 'invalid_request_error', param: 'input_file_id', code: null } }, 400);
    const lines = text.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line)).map((line) => ({ customId: line.custom_id, body: line.body }));
    // The lines are kept with the batch; a 10,000-request bench need not hold the file twice.
    this.files.delete(body.input_file_id);
    return this.created(c, { flavour: 'openai', lines, metadata: body.metadata ?? {}, inputFileId: body.input_file_id });
  }

  private async createAnthropic(c: Context): Promise<Response> {
    const body = await c.req.json();
    const lines = (body.requests as { custom_id: string; params: unknown }[]).map((request) => ({ customId: request.custom_id, body: request.params }));
    return this.created(c, { flavour: 'anthropic', lines, metadata: {} });
  }

  private created(c: Context, fields: Pick<FakeBatch, 'flavour' | 'lines' | 'metadata' | 'inputFileId'>): Response {
    const id = fields.flavour === 'openai' ? `batch_${++this.next}` : `msgbatch_${++this.next}`;
    const batch: FakeBatch = { id, createdAt: Date.now(), polls: 0, canceled: false, ...fields };
    this.batches.set(id, batch);
    if (this.loseSubmits > 0) {
      this.loseSubmits -= 1;
      return c.json(fields.flavour === 'openai' ? { error: { message: 'The server had an error.', type: 'server_error', param: null, code: null } } : { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }, 500);
    }
    return c.json(this.view(batch));
  }

  private async retrieve(c: Context, flavour: FakeBatch['flavour']): Promise<Response> {
    const batch = this.batches.get(c.req.param('id') ?? '');
    if (!batch || batch.flavour !== flavour) return notFound(c, flavour);
    batch.polls += 1;
    if (!batch.results && batch.polls > this.pollsBeforeEnd) await this.finish(batch);
    return c.json(this.view(batch));
  }

  private async cancel(c: Context, flavour: FakeBatch['flavour']): Promise<Response> {
    const batch = this.batches.get(c.req.param('id') ?? '');
    if (!batch || batch.flavour !== flavour) return notFound(c, flavour);
    if (!batch.results) {
      batch.canceled = true;
      await this.finish(batch);
    }
    return c.json(this.view(batch));
  }

  /** Answers every line (a canceled batch answers none), then writes the output and error files. */
  private async finish(batch: FakeBatch): Promise<void> {
    const results: FakeResult[] = [];
    const path = batch.flavour === 'openai' ? '/v1/chat/completions' : '/v1/messages';
    for (const [index, line] of batch.lines.entries()) {
      const outcome = batch.canceled ? 'canceled' : this.outcome(line.customId, index);
      if (outcome !== 'succeeded') {
        results.push({ customId: line.customId, outcome });
        continue;
      }
      const answer = await this.answer(batch.flavour, path, line.body);
      const ok = answer !== undefined && answer.status === 200;
      if (ok && batch.flavour === 'anthropic') (answer.body as { usage: { service_tier: string } }).usage.service_tier = 'batch';
      results.push({ customId: line.customId, outcome: ok ? 'succeeded' : 'errored', status: answer?.status ?? 500, body: answer?.body });
    }
    batch.results = results;
    for (const line of batch.lines) line.body = undefined; // answered: only the custom ids are still needed
    if (batch.flavour !== 'openai') return;
    const output = results.filter((result) => result.outcome === 'succeeded');
    const errors = results.filter((result) => result.outcome !== 'succeeded');
    if (output.length) this.files.set((batch.outputFileId = `file-${++this.next}`), jsonl(output.map(openaiLine)));
    if (errors.length) this.files.set((batch.errorFileId = `file-${++this.next}`), jsonl(errors.map(openaiLine)));
  }

  private listBody(flavour: FakeBatch['flavour']): object {
    const data = [...this.batches.values()].filter((batch) => batch.flavour === flavour).reverse().map((batch) => this.view(batch));
    return flavour === 'openai'
      ? { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: false }
      : { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  private view(batch: FakeBatch): { id: string } & Record<string, unknown> {
    const count = (outcome: FakeResult['outcome']) => batch.results?.filter((result) => result.outcome === outcome).length ?? 0;
    const processing = batch.results ? 0 : batch.lines.length;
    const created = Math.floor(batch.createdAt / 1000);
    if (batch.flavour === 'anthropic') {
      return {
        id: batch.id, type: 'message_batch',
        processing_status: batch.results ? 'ended' : 'in_progress',
        request_counts: { processing, succeeded: count('succeeded'), errored: count('errored'), expired: count('expired'), canceled: count('canceled') },
        created_at: new Date(batch.createdAt).toISOString(), expires_at: new Date(batch.createdAt + 86_400_000).toISOString(),
        ended_at: batch.results ? new Date().toISOString() : null, archived_at: null, cancel_initiated_at: batch.canceled ? new Date().toISOString() : null,
        results_url: batch.results ? `${this.baseUrl()}/v1/messages/batches/${batch.id}/results` : null,
      };
    }
    const status = !batch.results ? (batch.polls === 0 ? 'validating' : 'in_progress') : batch.canceled ? 'cancelled' : 'completed';
    return {
      id: batch.id, object: 'batch', endpoint: '/v1/chat/completions', errors: null, input_file_id: batch.inputFileId, completion_window: '24h', status,
      output_file_id: batch.outputFileId ?? null, error_file_id: batch.errorFileId ?? null,
      created_at: created, expires_at: created + 86_400, metadata: batch.metadata,
      request_counts: { total: batch.lines.length, completed: count('succeeded'), failed: batch.results ? batch.lines.length - count('succeeded') : 0 },
    };
  }
}

const now = () => Math.floor(Date.now() / 1000);
const jsonl = (values: object[]) => values.map((value) => JSON.stringify(value)).join('\n') + '\n';

function openaiLine(result: FakeResult): object {
  const base = { id: `batch_req_${result.customId}`, custom_id: result.customId };
  if (result.outcome === 'expired') return { ...base, response: null, error: { code: 'batch_expired', message: 'This request could not be executed before the completion window expired.' } };
  if (result.outcome === 'canceled') return { ...base, response: null, error: { code: 'batch_cancelled', message: 'This request was not executed because the batch was cancelled.' } };
  if (result.outcome === 'errored' && !result.body) return { ...base, response: { status_code: 500, request_id: 'req_fake', body: { error: { message: 'The server had an error.', type: 'server_error' } } }, error: null };
  return { ...base, response: { status_code: result.status ?? 200, request_id: 'req_fake', body: result.body }, error: null };
}

function anthropicResult(result: FakeResult): object {
  if (result.outcome === 'succeeded') return { custom_id: result.customId, result: { type: 'succeeded', message: result.body } };
  if (result.outcome === 'errored') {
    const error = (result.body as { error?: { type?: string; message?: string } } | undefined)?.error;
    return { custom_id: result.customId, result: { type: 'errored', error: { type: 'error', error: { type: error?.type ?? 'api_error', message: error?.message ?? 'Internal server error' } } } };
  }
  return { custom_id: result.customId, result: { type: result.outcome } };
}

function notFound(c: Context, flavour: FakeBatch['flavour']): Response {
  return flavour === 'openai'
    ? c.json({ error: { message: 'No such batch', type: 'invalid_request_error', param: null, code: null } }, 404)
    : c.json({ type: 'error', error: { type: 'not_found_error', message: 'No such batch' } }, 404);
}
