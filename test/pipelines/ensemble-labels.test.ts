import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FakeRequest } from '../fakes/provider-server.js';
import { distilleryResponder, judgeEnsemble } from '../fakes/distillery-responder.js';
import { connectClient, makeApp, makeWorld, sharedFake, textOf } from '../helpers.js';
import { readJsonlArray } from '../../src/store/jsonl.js';
import type { EnsembleSample } from '../../src/pipelines/ensemble/pipeline.js';

const fake = sharedFake();
const questions = Array.from({ length: 6 }, (_, i) => `How should dispute ${i} over ${['a deposit', 'overtime', 'a refund'][i % 3]} be settled when both sides have records?`);
const isJudge = (request: FakeRequest) => request.system.startsWith('Task: ensemble-judge');
const isReask = (request: FakeRequest) => request.userText.includes('Your previous answer');

/** The fake judge's verdict with its vote on a label it was never shown. */
function wrongLabel(request: FakeRequest) {
  const verdict = judgeEnsemble(request.userText) as { best: string; consensus: { based_on: string[] } };
  return { kind: 'text' as const, text: JSON.stringify({ ...verdict, best: 'Q', consensus: { ...verdict.consensus, based_on: ['Q'] } }) };
}

async function run(configFile?: Record<string, unknown>) {
  const fast = { requests_per_minute: 1_000_000 };
  const world = await makeWorld({ fake, configFile: { providers: { deepseek: fast, openai: fast, anthropic: fast }, ...configFile } });
  await writeFile(path.join(world.docs, 'prompts.txt'), questions.join('\n'));
  const app = await makeApp(world);
  const client = await connectClient(app);
  const started = await client.callTool({ name: 'start_ensemble', arguments: { prompts_file: 'prompts.txt' } });
  expect(started.isError, textOf(started)).toBeFalsy();
  const runId = (started.structuredContent as { run_id: string }).run_id;
  const record = await app.engine.wait(runId);
  const consensus = await readJsonlArray<EnsembleSample>(path.join(app.engine.runDir(runId), 'consensus.jsonl'));
  const status = await client.callTool({ name: 'run_status', arguments: { run_id: runId } });
  await app.close();
  await world.cleanup();
  return { record, consensus, status: status.structuredContent as { drops: Record<string, number>; stages: Record<string, { failed: number }> } };
}

describe('the ensemble judge answers within the labels it was shown', () => {
  it('sends the labels as enums in the verdict schema, re-asks a wrong label once and keeps the consensus', async () => {
    fake.responder = (request) => (isJudge(request) && !isReask(request) ? wrongLabel(request) : distilleryResponder(request));
    const { record, consensus, status } = await run();
    expect(record.status).toBe('completed');
    const judged = fake.requests.filter(isJudge);
    // Claude takes a schema: every label field in it is an enum of the labels shown.
    for (const request of judged) {
      const schema = request.jsonSchema as { properties: Record<string, any> };
      expect(schema.properties.best.enum).toEqual(['A', 'B', 'C']);
      expect(schema.properties.answers.items.properties.label.enum).toEqual(['A', 'B', 'C']);
      expect(schema.properties.consensus.properties.based_on.items.enum).toEqual(['A', 'B', 'C']);
    }
    // One first ask and one re-ask per prompt, each re-ask saying what was wrong.
    expect(judged.filter((r) => !isReask(r)).length).toBe(questions.length);
    expect(judged.filter(isReask).length).toBe(questions.length);
    expect(judged.find(isReask)!.userText).toMatch(/best: Invalid option: expected one of "A"\|"B"\|"C"/);
    expect(consensus.length).toBe(questions.length);
    // The re-asked verdict is the one kept: its vote maps to a teacher the judge was shown.
    for (const sample of consensus) {
      expect(sample.perspectives.map((p) => p.teacher)).toContain(sample.votes.best);
      expect(sample.output.length).toBeGreaterThan(0);
    }
    expect(status.drops.judge_labels_mismatch).toBeUndefined();
  });

  it('counts a judge that keeps naming a wrong label as judge_labels_mismatch, after one re-ask each', async () => {
    fake.responder = (request) => (isJudge(request) ? wrongLabel(request) : distilleryResponder(request));
    const { consensus, status } = await run();
    expect(fake.requests.filter(isJudge).length).toBe(2 * questions.length);
    expect(consensus).toEqual([]);
    expect(status.drops.judge_labels_mismatch).toBe(questions.length);
    expect(status.stages['ensemble.judge']!.failed).toBe(questions.length);
  });

  it('puts the labels in the prompt for a judge in JSON mode (DeepSeek)', async () => {
    fake.responder = (request) => (isJudge(request) && !isReask(request) ? wrongLabel(request) : distilleryResponder(request));
    const { consensus } = await run({ stages: { judge: { provider: 'deepseek', model: 'deepseek-v4-flash' } } });
    const judged = fake.requests.filter(isJudge);
    expect(new Set(judged.map((r) => r.flavour))).toEqual(new Set(['deepseek']));
    for (const request of judged) {
      expect(request.jsonSchema).toBeUndefined();
      expect(request.system).toContain('"best":{"type":"string","enum":["A","B","C"]}');
    }
    expect(consensus.length).toBe(questions.length);
  });
});
