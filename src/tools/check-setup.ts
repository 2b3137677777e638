/** check_setup: what is configured, what is missing and how to fix it. Never shows a key. */
import { z } from 'zod';
import { version } from '../app.js';
import type { ModelRateLimits } from '../llm/client.js';
import type { StageRole } from '../llm/types.js';
import { defineTool } from './define.js';

const rateLimitSchema = z.object({
  provider: z.string(),
  model: z.string(),
  requests_per_minute: z.number(),
  tokens_per_minute: z.number().nullable(),
  input_tokens_per_minute: z.number().nullable(),
  output_tokens_per_minute: z.number().nullable(),
  /** headers: learned from the provider's answers; config: requests_per_minute in the config file; default: the built-in guess. */
  source: z.enum(['headers', 'config', 'default']),
  reported_requests_per_minute: z.number().nullable(),
  learned_at: z.string().nullable(),
});

/** The pace per model, as check_setup shows it. */
function rateLimitRows(limits: ModelRateLimits[]): z.infer<typeof rateLimitSchema>[] {
  return limits.map((pace) => ({
    provider: pace.provider,
    model: pace.model,
    requests_per_minute: pace.requestsPerMinute,
    tokens_per_minute: pace.reported?.tokensPerMinute ?? null,
    input_tokens_per_minute: pace.reported?.inputTokensPerMinute ?? null,
    output_tokens_per_minute: pace.reported?.outputTokensPerMinute ?? null,
    source: pace.source,
    reported_requests_per_minute: pace.reported?.requestsPerMinute ?? null,
    learned_at: pace.learnedAt === undefined ? null : new Date(pace.learnedAt).toISOString(),
  }));
}

const sourceWords = { headers: 'learned from the provider', config: 'set in config', default: 'built-in guess' };

function paceSentence(rows: z.infer<typeof rateLimitSchema>[]): string {
  const paces = rows.map((row) => {
    const tokens = row.tokens_per_minute ?? row.input_tokens_per_minute;
    return `${row.provider}/${row.model} ${row.requests_per_minute.toLocaleString('en-US')}${tokens ? ` and ${tokens.toLocaleString('en-US')} tokens` : ''} (${sourceWords[row.source]})`;
  });
  const guessed = rows.some((row) => row.source === 'default');
  return `Pace in requests a minute: ${paces.join(', ')}.${guessed ? ' A guess gives way to the limits a provider reports on its first answer.' : ''}`;
}

export const checkSetupTool = defineTool({
  name: 'check_setup',
  title: 'Check setup',
  description:
    'Start here. Shows which providers have API keys (never the keys), the model and price used for each stage (generate, format, validate, judge), ' +
    'the requests and tokens a minute each model is paced at (learned from the provider\'s answers, set in config, or a built-in guess), ' +
    'the data folder, the folders documents may be read from, the monthly budget and the version, with the fix for anything missing. Free.',
  input: z.object({}),
  output: z.object({
    version: z.string(),
    ready: z.boolean(),
    providers: z.array(z.object({ name: z.string(), kind: z.string(), base_url: z.string(), configured: z.boolean(), key_variable: z.string(), fix: z.string().optional() })),
    stages: z.array(z.object({ stage: z.string(), provider: z.string(), model: z.string(), price_per_million_usd: z.object({ input: z.number(), cached_input: z.number(), output: z.number() }).nullable(), price_as_of: z.string().nullable(), problem: z.string().optional() })),
    data_dir: z.string(),
    roots: z.array(z.string()),
    config_file: z.string().nullable(),
    monthly_budget_usd: z.number(),
    reserve_fraction: z.number(),
    rate_limits: z.array(rateLimitSchema),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handle(_input, { app, roots }) {
    const { config, prices } = app.services;
    const used = new Set(Object.values(config.stages).map((stage) => stage.provider));
    const providers = Object.values(config.providers)
      .filter((provider) => used.has(provider.name) || provider.apiKey)
      .map((provider) => {
        const configured = !!provider.apiKey || !provider.requiresKey;
        return { name: provider.name, kind: provider.kind, base_url: provider.baseUrl, configured, key_variable: provider.apiKeyEnv, ...(configured ? {} : { fix: `Set ${provider.apiKeyEnv} in the environment, the .env file or the Claude Desktop config "env" block.` }) };
      });
    const stages = (Object.entries(config.stages) as [StageRole, (typeof config.stages)[StageRole]][]).map(([stage, target]) => {
      const row = prices.find(target.provider, target.model);
      return {
        stage,
        provider: target.provider,
        model: target.model,
        price_per_million_usd: row ? { input: row.input, cached_input: row.cached_input, output: row.output } : null,
        price_as_of: row?.as_of ?? null,
        ...(row ? {} : { problem: `No price for ${target.provider}/${target.model}: add one under "prices" in the config file.` }),
      };
    });
    const rateLimits = rateLimitRows(app.services.llm.rateLimits(Object.values(config.stages)));
    const ready = providers.every((p) => p.configured) && stages.every((s) => !s.problem);
    const missing = providers.filter((p) => !p.configured);
    const text = [
      ready ? 'Distillery is ready: every stage has a provider key and a price.' : 'Distillery is not fully set up yet.',
      ...missing.map((p) => `${p.name} has no API key: set ${p.key_variable}.`),
      ...stages.filter((s) => s.problem).map((s) => s.problem!),
      `Stages: ${stages.map((s) => `${s.stage} ${s.provider}/${s.model}`).join(', ')}.`,
      paceSentence(rateLimits),
      `Documents are read from ${(await roots()).join(', ')}; data is kept in ${config.home}. Monthly budget $${config.budget.monthlyUsd} with ${Math.round(config.budget.reserveFraction * 100)}% reserve.`,
      'Dry runs (dry_run: true) work without any key.',
    ].join(' ');
    return {
      text,
      structured: { version, ready, providers, stages, data_dir: config.home, roots: await roots(), config_file: config.configFile ?? null, monthly_budget_usd: app.services.guard.monthlyUsd, reserve_fraction: config.budget.reserveFraction, rate_limits: rateLimits },
    };
  },
});
