/**
 * The price table and the cost arithmetic. Prices are dated configuration (data/prices.json plus
 * rows from the config file), never constants in code; a model without a row is refused.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { priceRowSchema, type PriceRow } from '../config.js';
import { ConfigError, PriceMissingError } from '../errors.js';
import { promptTokens, type Usage } from './types.js';

const shippedFileSchema = z.object({ rows: z.array(priceRowSchema) });

// src/llm/ under tsx or vitest and dist/llm/ after tsc are both two levels below the package root.
const candidatePriceFiles = ['../../data/prices.json', '../../../data/prices.json'];

function shippedPriceFile(): string {
  for (const candidate of candidatePriceFiles) {
    const file = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new ConfigError(
    `The shipped price table data/prices.json was not found next to ${fileURLToPath(import.meta.url)}. Reinstall distillery; the package must include its data/ folder.`,
  );
}

const rowKey = (provider: string, model: string): string => `${provider}\u0000${model}`;

export class PriceTable {
  private readonly byKey = new Map<string, PriceRow>();

  /** Rows in `overrides` replace shipped rows with the same provider and model. */
  constructor(shipped: PriceRow[], overrides: PriceRow[] = []) {
    for (const row of [...shipped, ...overrides]) this.byKey.set(rowKey(row.provider, row.model), row);
  }

  /** Reads and validates the shipped table, then applies the config file's rows on top. */
  static load(overrides: PriceRow[] = []): PriceTable {
    const file = shippedPriceFile();
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`The shipped price table ${file} is not valid JSON (${(error as Error).message}). Reinstall distillery.`);
    }
    const parsed = shippedFileSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
      throw new ConfigError(`The shipped price table ${file} has invalid rows (${issues.join('; ')}). Fix the file or reinstall distillery.`);
    }
    return new PriceTable(parsed.data.rows, overrides);
  }

  /** Exact match on provider and model id; no prefix or alias matching, so a price is never guessed. */
  find(provider: string, model: string): PriceRow | undefined {
    return this.byKey.get(rowKey(provider, model));
  }

  require(provider: string, model: string): PriceRow {
    const row = this.find(provider, model);
    if (!row) throw new PriceMissingError(provider, model);
    return row;
  }

  rows(): PriceRow[] {
    return [...this.byKey.values()];
  }
}

const weekdays = new Set([1, 2, 3, 4, 5]);

/** Whether `at` falls in one of the row's peak windows: UTC hours [start, end), Monday to Friday when weekdays_only. */
export function isPeak(row: PriceRow, at: Date): boolean {
  const peak = row.peak;
  if (!peak) return false;
  if (peak.weekdays_only && !weekdays.has(at.getUTCDay())) return false;
  const hour = at.getUTCHours();
  return peak.hours_utc.some(([start, end]) => hour >= start && hour < end);
}

export interface Rates {
  input: number;
  cachedInput: number;
  output: number;
  cacheWrite: number;
  cacheWrite1h: number;
  peak: boolean;
}

/** Live calls, or the providers' batch APIs (half price, answered within 24 h). */
export type PriceTier = 'live' | 'batch';

/** The first moment at or after `at` outside the row's peak windows (DeepSeek's off-peak discount). */
export function offPeakFrom(row: PriceRow, at: Date): Date {
  const next = new Date(at);
  // Peak windows are whole UTC hours, so stepping to the next hour boundary at most a week ahead finds it.
  for (let hours = 0; hours < 24 * 7 && isPeak(row, next); hours++) next.setUTCHours(next.getUTCHours() + 1, 0, 0, 0);
  return next;
}

/**
 * USD per 1M tokens in force at `at`. Missing cache-write rates follow Anthropic's rule on anthropic
 * rows (1.25x input for 5 minutes, 2x for 1 hour); other providers bill cache writes at the input rate.
 * The batch tier uses the row's batch rates, which have no peak hours.
 */
export function ratesAt(row: PriceRow, at: Date, tier: PriceTier = 'live'): Rates {
  const batch = tier === 'batch' ? row.batch : undefined;
  if (tier === 'batch' && !batch) throw new PriceMissingError(row.provider, `${row.model} (batch)`);
  const peak = !batch && isPeak(row, at);
  const base = batch ?? (peak && row.peak ? row.peak : row);
  const writes = batch ?? row;
  const isAnthropic = row.provider === 'anthropic';
  return {
    input: base.input,
    cachedInput: base.cached_input,
    output: base.output,
    cacheWrite: writes.cache_write ?? (isAnthropic ? base.input * 1.25 : base.input),
    cacheWrite1h: writes.cache_write_1h ?? (isAnthropic ? base.input * 2 : (writes.cache_write ?? base.input)),
    peak,
  };
}

function longContextMultiplier(row: PriceRow, prompt: number): number {
  return row.long_context && prompt > row.long_context.above_prompt_tokens ? row.long_context.multiplier : 1;
}

/** The exact cost of one answered call, unrounded. */
export function costUsd(row: PriceRow, usage: Usage, at: Date, tier: PriceTier = 'live'): number {
  const rates = ratesAt(row, at, tier);
  const perMillion =
    usage.inputTokens * rates.input +
    usage.cachedInputTokens * rates.cachedInput +
    usage.cacheWriteTokens * rates.cacheWrite +
    usage.cacheWrite1hTokens * rates.cacheWrite1h +
    usage.outputTokens * rates.output;
  return (perMillion / 1e6) * longContextMultiplier(row, promptTokens(usage));
}

/**
 * The most a call can cost, reserved before it is sent: every prompt token at the dearest prompt
 * rate (the input rate, or a cache-write rate where that is higher, since providers may write the
 * cache unasked) plus every allowed output token, with the long-context multiplier applied.
 */
export function worstCaseUsd(row: PriceRow, promptTokenCount: number, maxOutputTokens: number, at: Date, tier: PriceTier = 'live'): number {
  const rates = ratesAt(row, at, tier);
  const promptRate = Math.max(rates.input, rates.cachedInput, rates.cacheWrite, rates.cacheWrite1h);
  const perMillion = promptTokenCount * promptRate + maxOutputTokens * rates.output;
  return (perMillion / 1e6) * longContextMultiplier(row, promptTokenCount);
}
