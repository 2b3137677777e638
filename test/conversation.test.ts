/**
 * The headline conversation, as an assistant in Claude Desktop would run it: no paths, no run ids,
 * no jargon. Each step's text is what the person would be shown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from './fakes/provider-server.js';
import { distilleryResponder } from './fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, sentinels, textOf, type TestWorld } from './helpers.js';
import type { App } from '../src/app.js';
import type { Client } from '@modelcontextprotocol/client';

let fake: FakeProviderServer;
let world: TestWorld;
let app: App;
let client: Client;
const transcript: string[] = [];

async function say(name: string, args: Record<string, unknown> = {}) {
  const result = await client.callTool({ name, arguments: args });
  const text = textOf(result);
  transcript.push(`${name} ${JSON.stringify(args)}\n${text}`);
  for (const secret of Object.values(sentinels)) expect(text).not.toContain(secret);
  return { result, text, data: result.structuredContent as Record<string, any> };
}

beforeAll(async () => {
  fake = await FakeProviderServer.start({ responder: distilleryResponder });
  world = await makeWorld({ fake, corpus: ['legal_guide.txt', 'medical_manual.txt'] });
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  if (process.env.DISTILLERY_PRINT_TRANSCRIPT) console.log(transcript.join('\n\n'));
  await app.close();
  await world.cleanup();
  await fake.close();
});

describe('the conversation "distill legal_guide.txt"', () => {
  it('goes from a bare file name to an export with readable answers at every step', async () => {
    const documents = await say('list_documents');
    expect(documents.text).toMatch(/legal_guide\.txt \(124 KB, about \$[\d.]+ to distill; text, [\d,]+ words, \d+ chunks\)/);

    const started = await say('distill_file', { path: 'legal_guide.txt' });
    expect(started.result.isError, started.text).toBeFalsy();
    expect(started.text).toMatch(/^Started run r-\d{8}-[0-9a-f]{6} \(legal_guide\.txt \d{4}-\d{2}-\d{2}\)\. legal_guide\.txt: \d+ chunks/);
    expect(started.text).toContain('check it with run_status');

    await app.engine.wait(started.data.run_id);
    const status = await say('run_status');
    expect(status.text).toMatch(new RegExp(`^Run ${started.data.run_id} distilling legal_guide\\.txt: (\\d+) of \\1 pairs validated, \\d+% approved \\(\\d+ pairs\\), \\$[\\d.]+ spent, completed\\.`));

    const review = await say('review_samples', { status: 'rejected', limit: 3 });
    expect(review.result.isError, review.text).toBeFalsy();
    expect(review.data.samples.length).toBeGreaterThan(0);
    expect(review.text).toMatch(/approv/i);

    const budget = await say('budget_status');
    expect(budget.text).toMatch(/^\d{4}-\d{2}: \$[\d.]+ of \$100\.00 spent/);

    const exported = await say('export_dataset', { format: 'llama-factory' });
    expect(exported.result.isError, exported.text).toBeFalsy();
    expect(exported.text).toMatch(/dataset_info\.json/);
  });

  it('asks which one when a name is ambiguous, says where it looked when missing, and refuses outside the roots', async () => {
    const missing = await say('distill_file', { path: 'tax_code.txt' });
    expect(missing.result.isError).toBe(true);
    expect(missing.text).toContain(world.docs);
    expect(missing.text).toMatch(/list_documents/);
    const outside = await say('distill_file', { path: '/etc/hostname' });
    expect(outside.result.isError).toBe(true);
    expect(outside.text).toMatch(/outside the allowed roots|\.txt or \.md/);
  });
});
