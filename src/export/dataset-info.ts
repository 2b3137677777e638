/**
 * LLaMA-Factory's dataset_info.json: one entry per data file, saying how to read its rows
 * (REFERENCE: Alpaca columns; ShareGPT formatting; OpenAI-style messages with explicit tags;
 * preference data with ranking: true). The same entries drive the row checks in validators.ts,
 * so a file is checked exactly as LLaMA-Factory will read it.
 */
import type { LlamaFactoryStyle } from './formats.js';

export interface DatasetInfoEntry {
  file_name: string;
  formatting?: 'alpaca' | 'sharegpt';
  ranking?: boolean;
  columns: Record<string, string>;
  tags?: Record<string, string>;
}

export type DatasetInfo = Record<string, DatasetInfoEntry>;

/** LLaMA-Factory's defaults for ShareGPT tags, used when an entry gives none. */
export const sharegptDefaultTags = { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt', system_tag: 'system' } as const;

export function dataEntry(style: LlamaFactoryStyle, fileName: string, hasSystemColumn: boolean): DatasetInfoEntry {
  const system: Record<string, string> = hasSystemColumn ? { system: 'system' } : {};
  switch (style) {
    case 'alpaca':
      return { file_name: fileName, columns: { prompt: 'instruction', query: 'input', response: 'output', ...system } };
    case 'sharegpt':
      return { file_name: fileName, formatting: 'sharegpt', columns: { messages: 'conversations', ...system }, tags: { role_tag: 'from', content_tag: 'value', user_tag: 'human', assistant_tag: 'gpt' } };
    case 'openai':
      return {
        file_name: fileName,
        formatting: 'sharegpt',
        columns: { messages: 'messages' },
        tags: { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' },
      };
  }
}

export function preferenceEntry(fileName: string, hasSystemColumn: boolean): DatasetInfoEntry {
  return { file_name: fileName, ranking: true, columns: { prompt: 'instruction', query: 'input', chosen: 'chosen', rejected: 'rejected', ...(hasSystemColumn ? { system: 'system' } : {}) } };
}

/** Problems with dataset_info.json against the data files it is written beside (empty when it matches). */
export function checkDatasetInfo(info: DatasetInfo, dataFiles: string[]): string[] {
  const problems: string[] = [];
  const registered = new Set<string>();
  for (const [name, entry] of Object.entries(info)) {
    if (!entry.file_name) problems.push(`entry ${name} has no file_name`);
    else if (!dataFiles.includes(entry.file_name)) problems.push(`entry ${name} names ${entry.file_name}, which is not among the files written`);
    else registered.add(entry.file_name);
    if (!entry.columns || Object.keys(entry.columns).length === 0) problems.push(`entry ${name} has no columns`);
    if (entry.formatting === 'sharegpt' && !entry.columns?.messages) problems.push(`entry ${name} is sharegpt-formatted but has no messages column`);
    if (entry.formatting !== 'sharegpt' && !entry.columns?.prompt) problems.push(`entry ${name} is alpaca-formatted but has no prompt column`);
    if (entry.ranking && (!entry.columns?.chosen || !entry.columns?.rejected)) problems.push(`entry ${name} has ranking: true but no chosen/rejected columns`);
    if (!entry.ranking && entry.formatting !== 'sharegpt' && !entry.columns?.response) problems.push(`entry ${name} has no response column`);
  }
  for (const file of dataFiles) if (!registered.has(file)) problems.push(`${file} is not registered in dataset_info.json`);
  return problems;
}
