/**
 * Everything a tool or command needs, built once from the config: the store, the ledger and budget
 * guard, prices, the LLM client and prompts; the run engine is built on them (app.ts). A value you construct, not a global,
 * so tests build as many as they like on temporary folders.
 */
import path from 'node:path';
import type { Config } from './config.js';
import { Catalog } from './store/catalog.js';
import { Ledger } from './store/ledger.js';
import { BudgetGuard } from './budget/guard.js';
import { PriceTable } from './llm/prices.js';
import { LlmClient, type LlmClientOptions } from './llm/client.js';
import { PromptTemplates } from './prompt-templates.js';
import { createLogger, type Logger } from './util/log.js';

export interface Services {
  config: Readonly<Config>;
  catalog: Catalog;
  ledger: Ledger;
  guard: BudgetGuard;
  prices: PriceTable;
  llm: LlmClient;
  prompts: PromptTemplates;
  log: Logger;
  /** The clock for what a service stamps with the time (a test injects its own). */
  now: () => Date;
}

export interface ServiceOptions {
  log?: Logger;
  now?: () => Date;
  llm?: Partial<Pick<LlmClientOptions, 'adapters' | 'retryDelayMs' | 'maxTransientRetries'>>;
}

export async function createServices(config: Readonly<Config>, options: ServiceOptions = {}): Promise<Services> {
  const log = options.log ?? createLogger({ secrets: config.secrets });
  const catalog = await Catalog.open(config.home);
  const ledger = await Ledger.open(config.home, { monthStartDay: config.budget.monthStartDay });
  const monthlyUsd = catalog.settings().monthlyBudgetUsd ?? config.budget.monthlyUsd;
  const guard = new BudgetGuard(ledger, { monthlyUsd, reserveFraction: config.budget.reserveFraction, monthStartDay: config.budget.monthStartDay, ...(options.now ? { now: options.now } : {}) });
  const prices = PriceTable.load(config.priceOverrides);
  const llm = new LlmClient({ config, prices, guard, now: options.now, ...options.llm });
  const prompts = new PromptTemplates(path.join(config.home, 'prompts'));
  return { config, catalog, ledger, guard, prices, llm, prompts, log, now: options.now ?? (() => new Date()) };
}
