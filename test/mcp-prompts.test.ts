import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeProviderServer } from './fakes/provider-server.js';
import { distilleryResponder } from './fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, textOf, type TestWorld } from './helpers.js';
import type { App } from '../src/app.js';
import type { Client } from '@modelcontextprotocol/client';

let fake: FakeProviderServer;
let world: TestWorld;
let app: App;
let client: Client;

beforeAll(async () => {
  fake = await FakeProviderServer.start({ responder: distilleryResponder });
  world = await makeWorld({ fake, corpus: ['legal_guide.txt', 'technical_manual.txt'] });
  app = await makeApp(world);
  client = await connectClient(app);
});
afterAll(async () => {
  await app.close();
  await world.cleanup();
  await fake.close();
});

describe('MCP prompts and completions', () => {
  it('offers plan_month, distill_document, make_pairs and review_run', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['distill_document', 'make_pairs', 'plan_month', 'review_run']);
    const prompt = await client.getPrompt({ name: 'distill_document', arguments: { document: 'legal_guide.txt' } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    expect(text).toContain('distill_file with path "legal_guide.txt" and dry_run: true');
  });

  it('completes document names, domain templates and run ids, and lists documents as a resource', async () => {
    const documents = await client.complete({ ref: { type: 'ref/prompt', name: 'distill_document' }, argument: { name: 'document', value: 'leg' } });
    expect(documents.completion.values).toEqual(['legal_guide.txt']);
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'technical_manual.txt', pairs_per_chunk: 1 } });
    const runId = (started.structuredContent as { run_id: string }).run_id;
    await app.engine.wait(runId);
    const domains = await client.complete({ ref: { type: 'ref/prompt', name: 'make_pairs' }, argument: { name: 'domain', value: 'me' } });
    expect(domains.completion.values).toEqual(['medical']);
    const resource = await client.readResource({ uri: 'distillery://documents' });
    expect(JSON.parse((resource.contents[0] as { text: string }).text).documents.map((d: { relative: string }) => d.relative)).toEqual(['legal_guide.txt', 'technical_manual.txt']);
    const runs = await client.complete({ ref: { type: 'ref/prompt', name: 'review_run' }, argument: { name: 'run_id', value: 'r-' } });
    expect(runs.completion.values).toContain(runId);
  });

  it('sends progress notifications while run_status waits, when the client asks for them', async () => {
    fake.latencyMs = 30;
    const started = await client.callTool({ name: 'distill_file', arguments: { path: 'legal_guide.txt', pairs_per_chunk: 2 } });
    const runId = (started.structuredContent as { run_id: string }).run_id;
    const notes: { progress: number; total?: number; message?: string }[] = [];
    const result = await client.callTool({ name: 'run_status', arguments: { wait_seconds: 3 } }, { onprogress: (progress) => notes.push(progress) });
    expect(notes.length).toBeGreaterThan(0);
    expect(notes[0]!.message).toMatch(new RegExp(`Run ${runId} distilling legal_guide\\.txt`));
    expect(textOf(result)).toMatch(/^Run r-/);
    await app.engine.wait(runId);
    fake.latencyMs = 0;
  });
});
