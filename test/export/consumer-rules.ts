/**
 * Each consumer's rules, written out independently of src/export so the tests check the files
 * against the formats themselves (REFERENCE "Dataset formats consumers expect").
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';

export type Row = Record<string, unknown>;

/** JSONL: one JSON object per line, every line ending in '\n', never a JSON array. */
export async function readJsonlStrictly(file: string): Promise<{ rows: Row[]; sha256: string }> {
  const buffer = await readFile(file);
  const text = buffer.toString('utf8');
  expect(text.trimStart().startsWith('['), `${file} must not be a JSON array`).toBe(false);
  expect(text.endsWith('\n'), `${file} must end with a newline`).toBe(true);
  const rows = text.slice(0, -1).split('\n').map((line, index) => {
    const row = JSON.parse(line) as unknown;
    expect(typeof row === 'object' && row !== null && !Array.isArray(row), `${file} line ${index + 1} is an object`).toBe(true);
    return row as Row;
  });
  return { rows, sha256: createHash('sha256').update(buffer).digest('hex') };
}

const nonEmpty = (value: unknown) => typeof value === 'string' && value.trim().length > 0;

export function expectAlpaca(row: Row, system?: string): void {
  expect(nonEmpty(row.instruction)).toBe(true);
  expect(typeof row.input).toBe('string');
  expect(nonEmpty(row.output)).toBe(true);
  if (system !== undefined) expect(row.system).toBe(system);
  else expect(row.system).toBeUndefined();
}

/** ShareGPT: human at odd positions (1, 3, ...), gpt at even, no empty values. */
export function expectShareGpt(row: Row, system?: string): void {
  const turns = row.conversations as { from: string; value: string }[];
  expect(Array.isArray(turns) && turns.length >= 2 && turns.length % 2 === 0).toBe(true);
  turns.forEach((turn, index) => {
    expect(turn.from).toBe((index + 1) % 2 === 1 ? 'human' : 'gpt');
    expect(nonEmpty(turn.value)).toBe(true);
  });
  if (system !== undefined) expect(row.system).toBe(system);
}

/** OpenAI chat fine-tuning: {messages: [system?, user, assistant]} only. */
export function expectOpenAi(row: Row, system?: string): void {
  expect(Object.keys(row)).toEqual(['messages']);
  const messages = row.messages as { role: string; content: string }[];
  const roles = messages.map((message) => message.role);
  expect(roles).toEqual(system !== undefined ? ['system', 'user', 'assistant'] : ['user', 'assistant']);
  for (const message of messages) expect(nonEmpty(message.content)).toBe(true);
  if (system !== undefined) expect(messages[0]!.content).toBe(system);
}

interface Entry {
  file_name: string;
  formatting?: string;
  ranking?: boolean;
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

/** A row as LLaMA-Factory reads it through its dataset_info.json entry. */
export function expectMatchesEntry(entry: Entry, row: Row): void {
  for (const column of Object.values(entry.columns)) expect(row, `column ${column} of ${entry.file_name}`).toHaveProperty(column);
  if (entry.formatting === 'sharegpt') {
    const tags = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', system_tag: 'system', ...entry.tags };
    let turns = row[entry.columns.messages!] as Row[];
    if (turns[0]?.[tags.role_tag] === tags.system_tag) turns = turns.slice(1);
    expect(turns.length % 2).toBe(0);
    turns.forEach((turn, index) => {
      expect(turn[tags.role_tag]).toBe(index % 2 === 0 ? tags.user_tag : tags.assistant_tag);
      expect(nonEmpty(turn[tags.content_tag])).toBe(true);
    });
    return;
  }
  expect(nonEmpty(row[entry.columns.prompt!])).toBe(true);
  if (entry.ranking) {
    expect(nonEmpty(row[entry.columns.chosen!]) && nonEmpty(row[entry.columns.rejected!])).toBe(true);
    expect(row[entry.columns.chosen!]).not.toBe(row[entry.columns.rejected!]);
  } else {
    expect(nonEmpty(row[entry.columns.response!])).toBe(true);
  }
}

/** OpenAI preference (DPO) fine-tuning: {input: {messages}, preferred_output: [assistant], non_preferred_output: [assistant]}. */
export function expectOpenAiDpo(row: Row, system?: string): void {
  expect(Object.keys(row).sort()).toEqual(['input', 'non_preferred_output', 'preferred_output']);
  const messages = (row.input as { messages: { role: string; content: string }[] }).messages;
  expect(messages.map((message) => message.role)).toEqual(system !== undefined ? ['system', 'user'] : ['user']);
  for (const side of ['preferred_output', 'non_preferred_output']) {
    const turns = row[side] as { role: string; content: string }[];
    expect(turns).toHaveLength(1);
    expect(turns[0]!.role).toBe('assistant');
    expect(nonEmpty(turns[0]!.content)).toBe(true);
  }
  expect((row.preferred_output as Row[])[0]!.content).not.toBe((row.non_preferred_output as Row[])[0]!.content);
}
