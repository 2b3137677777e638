import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { countTokens } from 'gpt-tokenizer';
import type { PriceRow } from '../../src/config.js';
import { PriceMissingError } from '../../src/errors.js';
import { costUsd, isPeak, PriceTable, ratesAt, worstCaseUsd } from '../../src/llm/prices.js';
import { estimateTokens, promptTokenMargin, promptTokensToHold } from '../../src/llm/tokens.js';
import { emptyUsage, promptTokens, type Usage } from '../../src/llm/types.js';
import { corpusDir } from '../helpers.js';

const table = PriceTable.load();
const flash = table.require('deepseek', 'deepseek-v4-flash');
const luna = table.require('openai', 'gpt-6-luna');
const haiku = table.require('anthropic', 'claude-haiku-5-5');

const saturday0200 = new Date('2026-11-28T02:00:00Z');
const tuesday0230 = new Date('2026-12-01T02:30:00Z');
const tuesday0500 = new Date('2026-12-01T05:00:00Z');

const usage = (fields: Partial<Usage>): Usage => ({ ...emptyUsage(), ...fields });

describe('PriceTable', () => {
  it('loads the shipped table, and every row names its source and date', () => {
    expect(table.rows().length).toBeGreaterThanOrEqual(6);
    for (const row of table.rows()) {
      expect(row.source.length).toBeGreaterThan(0);
      expect(row.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it('matches provider and model exactly, never by prefix', () => {
    expect(table.find('deepseek', 'deepseek-v4')).toBeUndefined();
    expect(table.find('openai', 'deepseek-v4-flash')).toBeUndefined();
    expect(table.find('deepseek', 'deepseek-v4-flash')?.input).toBe(0.22);
  });

  it('lets an override row replace the shipped row with the same provider and model', () => {
    const override: PriceRow = { ...flash, input: 9, source: 'my contract', as_of: '2026-12-01' };
    const custom: PriceRow = { provider: 'ollama', model: 'qwen3:8b', input: 0, cached_input: 0, output: 0, source: 'local', as_of: '2026-12-01' };
    const overridden = PriceTable.load([override, custom]);
    expect(overridden.require('deepseek', 'deepseek-v4-flash').input).toBe(9);
    expect(overridden.require('ollama', 'qwen3:8b').output).toBe(0);
    expect(overridden.rows()).toHaveLength(table.rows().length + 1);
  });

  it('refuses a model without a price with an error that names it and the fix', () => {
    expect(() => table.require('openai', 'gpt-9-unknown')).toThrow(PriceMissingError);
    try {
      table.require('openai', 'gpt-9-unknown');
    } catch (error) {
      expect((error as PriceMissingError).code).toBe('price_missing');
      expect((error as Error).message).toContain('openai/gpt-9-unknown');
      expect((error as Error).message).toContain('"prices"');
    }
  });
});

describe('peak hours', () => {
  it('applies DeepSeek peak rates on weekday UTC windows [1,4) and [6,10) only', () => {
    expect(isPeak(flash, saturday0200)).toBe(false);
    expect(isPeak(flash, tuesday0230)).toBe(true);
    expect(isPeak(flash, tuesday0500)).toBe(false);
    expect(isPeak(flash, new Date('2026-12-01T04:00:00Z'))).toBe(false);
    expect(isPeak(flash, new Date('2026-12-01T09:59:59Z'))).toBe(true);
    expect(isPeak(flash, new Date('2026-12-01T10:00:00Z'))).toBe(false);
    expect(isPeak(flash, new Date('2026-11-29T07:00:00Z'))).toBe(false); // Sunday
    expect(isPeak(luna, tuesday0230)).toBe(false);
  });
});

describe('costUsd', () => {
  const deepseekCall = usage({ inputTokens: 1000, cachedInputTokens: 500, outputTokens: 200 });

  it('prices DeepSeek off-peak on a Saturday night', () => {
    expect(costUsd(flash, deepseekCall, saturday0200)).toBeCloseTo((1000 * 0.22 + 500 * 0.007 + 200 * 0.66) / 1e6, 15);
  });

  it('prices DeepSeek at peak rates on a Tuesday at 02:30 UTC', () => {
    expect(costUsd(flash, deepseekCall, tuesday0230)).toBeCloseTo((1000 * 0.44 + 500 * 0.014 + 200 * 1.32) / 1e6, 15);
    expect(ratesAt(flash, tuesday0230).peak).toBe(true);
  });

  it('prices DeepSeek off-peak on a weekday at 05:00 UTC, cache hits included', () => {
    const cached = usage({ inputTokens: 300, cachedInputTokens: 9000, outputTokens: 800 });
    expect(costUsd(flash, cached, tuesday0500)).toBeCloseTo((300 * 0.22 + 9000 * 0.007 + 800 * 0.66) / 1e6, 15);
  });

  it('prices OpenAI cached and cache-write tokens at their own rates', () => {
    const call = usage({ inputTokens: 1000, cachedInputTokens: 4000, cacheWriteTokens: 2000, outputTokens: 300 });
    expect(costUsd(luna, call, tuesday0230)).toBeCloseTo((1000 * 0.1 + 4000 * 0.01 + 2000 * 0.125 + 300 * 0.5) / 1e6, 15);
  });

  it('prices Anthropic cache reads, 5-minute writes and 1-hour writes', () => {
    const call = usage({ inputTokens: 1000, cachedInputTokens: 3000, cacheWriteTokens: 2000, cacheWrite1hTokens: 1000, outputTokens: 500 });
    expect(costUsd(haiku, call, tuesday0230)).toBeCloseTo(
      (1000 * 0.1 + 3000 * 0.01 + 2000 * 0.125 + 1000 * 0.2 + 500 * 0.5) / 1e6,
      15,
    );
  });

  it('bills the whole Haiku request at 5x once the prompt passes 100k tokens, and not at exactly 100k', () => {
    const above = usage({ inputTokens: 90_000, cachedInputTokens: 20_000, outputTokens: 100 });
    expect(costUsd(haiku, above, tuesday0230)).toBeCloseTo((5 * (90_000 * 0.1 + 20_000 * 0.01 + 100 * 0.5)) / 1e6, 15);
    const atLimit = usage({ inputTokens: 80_000, cachedInputTokens: 20_000, outputTokens: 100 });
    expect(costUsd(haiku, atLimit, tuesday0230)).toBeCloseTo((80_000 * 0.1 + 20_000 * 0.01 + 100 * 0.5) / 1e6, 15);
  });

  it('derives missing cache-write rates: 1.25x and 2x input for Anthropic, the input rate for others', () => {
    const sonnetLike: PriceRow = { provider: 'anthropic', model: 'x', input: 2, cached_input: 0.2, output: 10, source: 's', as_of: '2026-11-26' };
    expect(ratesAt(sonnetLike, saturday0200)).toMatchObject({ cacheWrite: 2 * 1.25, cacheWrite1h: 2 * 2 });
    const terra = table.require('openai', 'gpt-6.1-terra');
    expect(ratesAt(terra, saturday0200)).toMatchObject({ cacheWrite: 1, cacheWrite1h: 1 });
    expect(ratesAt(flash, tuesday0230)).toMatchObject({ cacheWrite: 0.44, cacheWrite1h: 0.44 });
  });

  it('keeps full precision on tiny calls', () => {
    expect(costUsd(flash, usage({ cachedInputTokens: 1 }), saturday0200)).toBeCloseTo(0.007 / 1e6, 18);
  });
});

describe('worstCaseUsd', () => {
  it('uses every prompt token at the dearest prompt rate plus all allowed output tokens', () => {
    expect(worstCaseUsd(flash, 2000, 4096, tuesday0230)).toBeCloseTo((2000 * 0.44 + 4096 * 1.32) / 1e6, 15);
    expect(worstCaseUsd(flash, 2000, 4096, saturday0200)).toBeCloseTo((2000 * 0.22 + 4096 * 0.66) / 1e6, 15);
    // Haiku's dearest prompt rate is the 1-hour cache write (0.20), and 120k prompt tokens trigger 5x.
    expect(worstCaseUsd(haiku, 120_000, 1000, tuesday0230)).toBeCloseTo((5 * (120_000 * 0.2 + 1000 * 0.5)) / 1e6, 15);
    // gpt-6-luna's cache write (0.125) costs more than its input (0.10).
    expect(worstCaseUsd(luna, 2000, 100, tuesday0230)).toBeCloseTo((2000 * 0.125 + 100 * 0.5) / 1e6, 15);
  });

  it('is never below the real cost of any split of the same tokens', () => {
    const total = 110_000;
    const splits: Usage[] = [];
    for (const share of [0, 0.25, 0.5, 1]) {
      const part = Math.round(total * share);
      splits.push(usage({ inputTokens: total - part, cachedInputTokens: part }));
      splits.push(usage({ inputTokens: total - part, cacheWriteTokens: part }));
      splits.push(usage({ inputTokens: total - part, cacheWrite1hTokens: part }));
      splits.push(usage({ cachedInputTokens: total - part, cacheWriteTokens: part }));
    }
    for (const row of table.rows()) {
      for (const at of [saturday0200, tuesday0230, tuesday0500]) {
        for (const split of splits) {
          for (const output of [0, 100, 4096]) {
            const real = costUsd(row, { ...split, outputTokens: output }, at);
            expect(promptTokens(split)).toBe(total);
            expect(worstCaseUsd(row, total, 4096, at)).toBeGreaterThanOrEqual(real);
          }
        }
      }
    }
  });
});

describe('token estimates', () => {
  const exact = (text: string) => countTokens(text, { disallowedSpecial: new Set() });

  it('estimates within 10% of o200k on the corpus and every prompt template, and zero for empty text', () => {
    expect(estimateTokens('')).toBe(0);
    const prompts = path.resolve(import.meta.dirname, '../../prompts');
    const texts = [
      ...readdirSync(corpusDir).filter((name) => name.endsWith('.txt')).map((name) => readFileSync(path.join(corpusDir, name), 'utf8').slice(0, 50_000)),
      ...(readdirSync(prompts, { recursive: true }) as string[]).filter((name) => name.endsWith('.md')).map((name) => readFileSync(path.join(prompts, name), 'utf8')),
    ];
    expect(texts.length).toBeGreaterThan(8);
    for (const text of texts) {
      const ratio = estimateTokens(text) / exact(text);
      expect(ratio, text.slice(0, 60)).toBeGreaterThan(0.9);
      expect(ratio, text.slice(0, 60)).toBeLessThan(1.1);
    }
  });

  it('holds every prompt template as a system prompt at or above its o200k count times the provider margin', () => {
    const prompts = path.resolve(import.meta.dirname, '../../prompts');
    const templates = (readdirSync(prompts, { recursive: true }) as string[]).filter((name) => name.endsWith('.md'));
    expect(templates.length).toBeGreaterThan(6);
    for (const name of templates) {
      const text = readFileSync(path.join(prompts, name), 'utf8');
      for (const provider of ['openai', 'deepseek', 'anthropic']) {
        expect(promptTokensToHold(provider, text, []) - 8, `${name} ${provider}`).toBeGreaterThanOrEqual(exact(text) * promptTokenMargin(provider));
      }
    }
  });

  it('estimates Japanese, Russian and dense JSON within 25% of o200k', () => {
    for (const text of [
      '借地借家法第三十二条により、建物の借賃が土地若しくは建物に対する租税その他の負担の増減により不相当となったときは、契約の条件にかかわらず、当事者は将来に向かって建物の借賃の額の増減を請求することができる。',
      'Арендатор обязан своевременно вносить арендную плату за пользование имуществом в порядке, установленном договором.',
      JSON.stringify({ type: 'object', properties: { question: { type: 'string' }, answer: { type: 'string' }, score: { type: 'integer', minimum: 1, maximum: 5 } }, required: ['question', 'answer'] }),
    ]) {
      const ratio = estimateTokens(text) / exact(text);
      expect(ratio, text).toBeGreaterThan(0.75);
      expect(ratio, text).toBeLessThan(1.25);
    }
  });

  it('adds a larger margin for providers without a local tokenizer', () => {
    expect(promptTokenMargin('anthropic')).toBe(1.35);
    expect(promptTokenMargin('deepseek')).toBe(1.2);
    expect(promptTokenMargin('openai')).toBe(1.1);
    const system = 'You write question and answer pairs from a legal text. '.repeat(20);
    const prompt = 'Chunk 12: The tenant shall pay rent on the first day of each month.';
    const anthropic = promptTokensToHold('anthropic', system, [prompt]);
    expect(anthropic).toBeGreaterThanOrEqual(Math.ceil(estimateTokens(system) * 1.35) + estimateTokens(prompt));
    expect(promptTokensToHold('deepseek', system, [prompt])).toBeLessThan(anthropic);
    expect(promptTokensToHold('openai', system, [prompt])).toBeLessThan(promptTokensToHold('deepseek', system, [prompt]));
  });

  it('holds at least the counted tokens of a message in any script, and not wildly more for prose', () => {
    const samples = [
      'The tenant shall pay rent on the first day of each month, unless the landlord agrees otherwise in writing.',
      '借地借家法第三十二条により、建物の借賃が土地若しくは建物に対する租税その他の負担の増減により不相当となったときは、契約の条件にかかわらず、当事者は将来に向かって建物の借賃の額の増減を請求することができる。',
      'Арендатор обязан своевременно вносить арендную плату за пользование имуществом в порядке, установленном договором.',
      '{"instruction":"Convert 37.5 °C to °F","output":"99.5 °F","scores":[9,8,10]}',
    ];
    for (const text of samples) {
      const held = promptTokensToHold('openai', '', [text]) - 16;
      expect(held, text).toBeGreaterThanOrEqual(exact(text));
    }
    const prose = samples[0]!;
    expect(promptTokensToHold('openai', '', [prose]) - 16).toBeLessThan(exact(prose) * 3);
  });
});
