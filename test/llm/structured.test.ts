import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonSchemaFor, parseStructured, reaskMessage, schemaInstruction } from '../../src/llm/structured.js';

const pairSchema = z.object({
  question: z.string(),
  answer: z.string(),
  difficulty: z.enum(['easy', 'medium', 'hard']),
  evidence: z.string(),
});
const qaSchema = z.object({ pairs: z.array(pairSchema).min(1) });

const pair = { question: 'What must the tenant pay?', answer: 'Rent, monthly.', difficulty: 'easy', evidence: 'The tenant shall pay rent' };
const cleanJson = JSON.stringify({ pairs: [pair] });

function expectPairs(text: string, repaired?: boolean) {
  const outcome = parseStructured(text, qaSchema);
  expect(outcome).toMatchObject({ ok: true, value: { pairs: [pair] } });
  if (repaired !== undefined) expect(outcome.ok && outcome.repaired).toBe(repaired);
}

describe('parseStructured', () => {
  it('accepts clean JSON without marking it repaired', () => {
    expectPairs(cleanJson, false);
    expectPairs(`\n  ${cleanJson}\n\n`, false);
  });

  it('unwraps code fences, with or without a language tag', () => {
    expectPairs('```json\n' + cleanJson + '\n```', false);
    expectPairs('```\n' + cleanJson + '\n```');
  });

  it('finds the JSON inside prose, even when the prose has brackets and apostrophes', () => {
    expectPairs(`Here's what I found [see below]:\n\n${cleanJson}\n\nLet me know if you'd like {more}.`);
    expectPairs(`Sure! The result is in the block below.\n\`\`\`json\n${cleanJson}\n\`\`\`\nHope it helps.`);
  });

  it('keeps code fences and brackets that sit inside JSON strings', () => {
    const tricky = { ...pair, answer: 'Use ```js\nx = [1, {a: 2}]\n``` and "quotes" }' };
    const outcome = parseStructured(`Answer: ${JSON.stringify({ pairs: [tricky] })} done`, qaSchema);
    expect(outcome).toMatchObject({ ok: true, value: { pairs: [tricky] } });
  });

  it('repairs trailing commas, single quotes, comments and Python None/True/False', () => {
    expectPairs(
      `{"pairs": [{"question": "What must the tenant pay?", "answer": "Rent, monthly.", "difficulty": "easy", "evidence": "The tenant shall pay rent",},],}`,
      true,
    );
    expectPairs(
      `{'pairs': [{'question': 'What must the tenant pay?', 'answer': 'Rent, monthly.', 'difficulty': 'easy', 'evidence': 'The tenant shall pay rent'}]}`,
      true,
    );
    expectPairs(`// generated pairs\n{"pairs": [ /* one */ ${JSON.stringify(pair)}]}`, true);
    const flagged = z.object({ note: z.string().nullable(), final: z.boolean(), draft: z.boolean() });
    expect(parseStructured(`{"note": None, "final": True, "draft": False}`, flagged)).toEqual({
      ok: true,
      value: { note: null, final: true, draft: false },
      repaired: true,
    });
  });

  it('takes the first of several objects in a row that validates', () => {
    const invalid = JSON.stringify({ pairs: [] });
    expectPairs(`${invalid}\n${cleanJson}\n${JSON.stringify({ pairs: [{ ...pair, question: 'second' }] })}`);
    expectPairs(`${cleanJson}${cleanJson}`);
  });

  it('gathers several objects in a row into the array the schema expects', () => {
    const outcome = parseStructured(`${JSON.stringify(pair)}\n${JSON.stringify({ ...pair, difficulty: 'hard' })}`, z.array(pairSchema));
    expect(outcome).toMatchObject({ ok: true, value: [pair, { ...pair, difficulty: 'hard' }] });
  });

  it('strips think blocks, including an unclosed leading one and a dangling close tag', () => {
    expectPairs(`<think>The user wants {pairs}. Let me [check] the text.</think>\n${cleanJson}`, false);
    expectPairs(`<think>\nreasoning that never closes\n${cleanJson}`);
    expectPairs(`reasoning without an opening tag {maybe}\n</think>\n\n${cleanJson}`, false);
  });

  it('reports blank for empty and whitespace-only answers and for a bare think block', () => {
    expect(parseStructured('', qaSchema)).toMatchObject({ ok: false, reason: 'blank' });
    expect(parseStructured(' \n\t ', qaSchema)).toMatchObject({ ok: false, reason: 'blank' });
    expect(parseStructured('<think>hmm</think>\n', qaSchema)).toMatchObject({ ok: false, reason: 'blank' });
  });

  it('reports malformed JSON when no JSON can be read', () => {
    const outcome = parseStructured('I cannot help with that request.', qaSchema);
    expect(outcome).toMatchObject({ ok: false, reason: 'malformed_json' });
    expect(!outcome.ok && outcome.detail.length).toBeGreaterThan(0);
  });

  it('does not accept a truncated answer whose repair fails the schema', () => {
    const truncated = cleanJson.slice(0, cleanJson.indexOf('"difficulty"') + 5);
    const outcome = parseStructured(truncated, qaSchema);
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.reason).toBe('schema_mismatch');
    expect(!outcome.ok && outcome.detail).toContain('pairs.0.difficulty');
  });

  it('may accept a truncated array that repairs into valid items: the finish reason is the guard', () => {
    const two = JSON.stringify({ pairs: [pair, pair] });
    const cutBetweenItems = two.slice(0, two.lastIndexOf(',{'));
    const outcome = parseStructured(cutBetweenItems, qaSchema);
    expect(outcome).toMatchObject({ ok: true, value: { pairs: [pair] }, repaired: true });
  });

  it('lists up to five schema issues as path: message', () => {
    const bad = { pairs: Array.from({ length: 4 }, () => ({ question: 1, difficulty: 'trivial' })) };
    const outcome = parseStructured(JSON.stringify(bad), qaSchema);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.reason).toBe('schema_mismatch');
    expect(outcome.detail).toContain('pairs.0.question:');
    expect(outcome.detail).toContain('pairs.0.difficulty:');
    expect(outcome.detail.split('; ').filter((part) => part.startsWith('pairs.'))).toHaveLength(5);
    expect(outcome.detail).toMatch(/and \d+ more/);
    expect(outcome.detail.length).toBeLessThanOrEqual(600);
  });

  it('never throws, even when the schema itself throws', () => {
    const throwing = z.string().transform(() => {
      throw new Error('boom');
    });
    expect(parseStructured('"x"', throwing)).toMatchObject({ ok: false, reason: 'schema_mismatch' });
    expect(parseStructured('{{{{[[[[', qaSchema).ok).toBe(false);
  });
});

describe('jsonSchemaFor', () => {
  const full = z.object({
    pairs: z.array(pairSchema.extend({ note: z.string().nullable(), score: z.int().min(0).max(10), tag: z.string().optional() })).min(1).max(20),
    title: z.string().min(3),
  });
  const schema = jsonSchemaFor(full);
  const pairs = (schema.properties as Record<string, Record<string, unknown>>).pairs!;
  const item = pairs.items as Record<string, unknown>;

  it('closes every object and requires all of its properties, optional ones too', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['pairs', 'title']);
    expect(item.additionalProperties).toBe(false);
    expect(item.required).toEqual(['question', 'answer', 'difficulty', 'evidence', 'note', 'score', 'tag']);
  });

  it('drops $schema and keeps only keywords strict mode accepts, moving other constraints into descriptions', () => {
    const text = JSON.stringify(schema);
    expect(text).not.toContain('$schema');
    expect(text).not.toContain('"maxItems"');
    expect(text).not.toContain('"minLength"');
    expect(text).not.toContain('"maximum"');
    expect(pairs.minItems).toBe(1);
    expect(pairs.description).toContain('maxItems: 20');
    const properties = item.properties as Record<string, Record<string, unknown>>;
    expect(properties.difficulty).toEqual({ type: 'string', enum: ['easy', 'medium', 'hard'] });
    expect(properties.note?.type).toEqual(['string', 'null']);
    expect(properties.score?.description).toContain('maximum: 10');
  });
});

describe('schemaInstruction and reaskMessage', () => {
  it('puts the compact schema in the prompt with an instruction to send one JSON object', () => {
    const instruction = schemaInstruction(qaSchema);
    expect(instruction).toContain('one JSON object');
    expect(instruction).toContain('"difficulty":{"type":"string","enum":["easy","medium","hard"]}');
    expect(instruction).not.toContain('$schema');
    expect(instruction).not.toContain('\n  ');
  });

  it('quotes the failure briefly in the re-ask', () => {
    const message = reaskMessage({ reason: 'schema_mismatch', detail: 'pairs.0.difficulty: Invalid option' });
    expect(message).toContain('did not match');
    expect(message).toContain('pairs.0.difficulty: Invalid option');
    expect(reaskMessage({ reason: 'malformed_json', detail: 'x'.repeat(5000) }).length).toBeLessThan(700);
    expect(reaskMessage({ reason: 'blank', detail: 'the answer was empty' })).toContain('was empty');
  });
});
