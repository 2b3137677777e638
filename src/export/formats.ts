/**
 * How one canonical sample (or preference pair) becomes a row of each consumer's format
 * (REFERENCE "Dataset formats consumers expect"): Alpaca, ShareGPT, OpenAI chat fine-tuning, and
 * the canonical JSONL itself. LLaMA-Factory reads the Alpaca, ShareGPT or OpenAI rows through a
 * dataset_info.json entry (dataset-info.ts); axolotl reads OpenAI-style rows as a chat_template
 * dataset; openai-dpo adds OpenAI's preference (DPO) rows to the chat rows.
 */
import type { Sample } from '../pipelines/sample.js';

export const exportFormats = ['jsonl', 'alpaca', 'sharegpt', 'openai', 'openai-dpo', 'llama-factory', 'axolotl'] as const;
export type ExportFormat = (typeof exportFormats)[number];
export type RowStyle = 'canonical' | 'alpaca' | 'sharegpt' | 'openai';
export type LlamaFactoryStyle = Exclude<RowStyle, 'canonical'>;

export interface FormatOptions {
  /** 'think': the reasoning goes before the answer as <think>...</think>; 'omit': the answer alone. */
  reasoning: 'think' | 'omit';
  system?: string;
}

export interface PreferencePair {
  id: string;
  instruction: string;
  input: string;
  chosen: string;
  rejected: string;
}

export function rowStyle(format: ExportFormat, llamaFactoryStyle: LlamaFactoryStyle = 'alpaca'): RowStyle {
  if (format === 'openai-dpo' || format === 'axolotl') return 'openai';
  return format === 'jsonl' ? 'canonical' : format === 'llama-factory' ? llamaFactoryStyle : format;
}

export function answerText(sample: Sample, options: FormatOptions): string {
  const reasoning = typeof sample.reasoning === 'string' ? sample.reasoning.trim() : '';
  return options.reasoning === 'think' && reasoning ? `<think>\n${reasoning}\n</think>\n\n${sample.output}` : sample.output;
}

/** Chat formats have no separate input field: it follows the instruction after a blank line. */
function userText(instruction: string, input: string | undefined): string {
  return input && input.trim() ? `${instruction}\n\n${input}` : instruction;
}

/** A sample with an empty instruction or output would be an unusable row: callers skip and count it. */
export function isUsable(sample: Sample): boolean {
  return typeof sample.instruction === 'string' && sample.instruction.trim() !== '' && typeof sample.output === 'string' && sample.output.trim() !== '';
}

export function formatSample(style: RowStyle, sample: Sample, options: FormatOptions): Record<string, unknown> {
  const system = options.system?.trim() ? options.system : undefined;
  const input = typeof sample.input === 'string' ? sample.input : '';
  switch (style) {
    case 'canonical':
      return sample;
    case 'alpaca':
      return { instruction: sample.instruction, input, output: answerText(sample, options), ...(system ? { system } : {}) };
    case 'sharegpt':
      return {
        conversations: [
          { from: 'human', value: userText(sample.instruction, input) },
          { from: 'gpt', value: answerText(sample, options) },
        ],
        ...(system ? { system } : {}),
      };
    case 'openai':
      return {
        messages: [
          ...(system ? [{ role: 'system', content: system }] : []),
          { role: 'user', content: userText(sample.instruction, input) },
          { role: 'assistant', content: answerText(sample, options) },
        ],
      };
  }
}

export type PreferenceStyle = 'canonical' | 'alpaca' | 'openai-dpo';

/** Which preference layout a format has; undefined for formats without one. */
export function preferenceStyle(format: ExportFormat): PreferenceStyle | undefined {
  return format === 'jsonl' ? 'canonical' : format === 'llama-factory' ? 'alpaca' : format === 'openai-dpo' ? 'openai-dpo' : undefined;
}

/**
 * Preference rows: Alpaca-style ranking rows (LLaMA-Factory `ranking: true`), OpenAI's DPO rows
 * ({input: {messages}, preferred_output, non_preferred_output}, one assistant message each), or
 * the pair itself in canonical JSONL.
 */
export function formatPreference(style: PreferenceStyle, pair: PreferencePair, options: FormatOptions): Record<string, unknown> {
  const system = options.system?.trim() ? options.system : undefined;
  if (style === 'canonical') return { ...pair };
  if (style === 'openai-dpo') {
    return {
      input: { messages: [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: userText(pair.instruction, pair.input) }] },
      preferred_output: [{ role: 'assistant', content: pair.chosen }],
      non_preferred_output: [{ role: 'assistant', content: pair.rejected }],
    };
  }
  return { instruction: pair.instruction, input: pair.input, chosen: pair.chosen, rejected: pair.rejected, ...(system ? { system } : {}) };
}

/** Reads a preference pair as an ensemble run writes it; undefined when a field is missing or empty. */
export function readPreferencePair(raw: unknown, fallbackId: string): PreferencePair | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Record<string, unknown>;
  const text = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null) {
      const inner = value as Record<string, unknown>;
      for (const key of ['output', 'answer', 'content', 'text']) if (typeof inner[key] === 'string') return inner[key] as string;
    }
    return '';
  };
  const instruction = text(record.instruction ?? record.prompt ?? record.question);
  const chosen = text(record.chosen);
  const rejected = text(record.rejected);
  if (!instruction.trim() || !chosen.trim() || !rejected.trim() || chosen === rejected) return undefined;
  return { id: typeof record.id === 'string' ? record.id : fallbackId, instruction, input: typeof record.input === 'string' ? record.input : '', chosen, rejected };
}
