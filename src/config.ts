/**
 * The only reader of process.env. Layers, lowest first: built-in defaults, the JSON config file
 * (DISTILLERY_CONFIG), a `.env` file in the working directory, then the process environment.
 * Everything is zod-validated and frozen; every error names the key and how to fix it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { ProviderKind, StageRole } from './provider-types.js';

const providerSchema = z.strictObject({
  kind: z.enum(['openai-compatible', 'anthropic']).optional(),
  base_url: z.url().optional(),
  /** Name of the environment variable holding this provider's key (custom providers). */
  api_key_env: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
  concurrency: z.int().min(1).max(2500).optional(),
  requests_per_minute: z.int().min(1).max(1_000_000).optional(),
  timeout_ms: z.int().min(1000).max(3_600_000).optional(),
});

const stageSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  max_output_tokens: z.int().min(64).max(128_000).optional(),
});

const priceRates = z.strictObject({
  input: z.number().min(0),
  cached_input: z.number().min(0),
  output: z.number().min(0),
});

export const priceRowSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1),
  /** USD per 1M tokens. */
  input: z.number().min(0),
  cached_input: z.number().min(0),
  output: z.number().min(0),
  cache_write: z.number().min(0).optional(),
  cache_write_1h: z.number().min(0).optional(),
  /** Peak-hour rates (DeepSeek) and the UTC hour windows [start, end) they apply to. */
  peak: priceRates
    .extend({ hours_utc: z.array(z.tuple([z.int().min(0).max(23), z.int().min(1).max(24)])), weekdays_only: z.boolean() })
    .optional(),
  /** Batch API rates (OpenAI Batch, Anthropic Message Batches: half price); absent where the provider has none. */
  batch: priceRates.extend({ cache_write: z.number().min(0).optional(), cache_write_1h: z.number().min(0).optional() }).optional(),
  /** Whole request billed at `multiplier` times once the prompt exceeds `above_prompt_tokens`. */
  long_context: z.strictObject({ above_prompt_tokens: z.int().min(1), multiplier: z.number().min(1) }).optional(),
  source: z.string().min(1),
  as_of: z.iso.date(),
});
export type PriceRow = z.infer<typeof priceRowSchema>;

const fileSchema = z.strictObject({
  home: z.string().min(1).optional(),
  roots: z.array(z.string().min(1)).min(1).optional(),
  budget: z
    .strictObject({
      monthly_usd: z.number().positive().max(1_000_000).optional(),
      reserve_fraction: z.number().min(0).max(0.9).optional(),
      month_start_day: z.int().min(1).max(28).optional(),
    })
    .optional(),
  providers: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), providerSchema).optional(),
  stages: z.partialRecord(z.enum(['generate', 'format', 'validate', 'judge']), stageSchema).optional(),
  prices: z.array(priceRowSchema).optional(),
  batch: z
    .strictObject({
      auto_min_calls: z.int().min(0).max(1_000_000).optional(),
      max_requests: z.int().min(1).max(100_000).optional(),
      max_age_seconds: z.number().min(0).max(86_400).optional(),
      poll_seconds: z.number().min(0).max(3600).optional(),
      poll_max_seconds: z.number().min(0).max(86_400).optional(),
    })
    .optional(),
  limits: z.strictObject({ max_file_mb: z.number().positive().max(1024).optional() }).optional(),
});
export type ConfigFile = z.infer<typeof fileSchema>;

export interface ProviderConfig {
  name: string;
  kind: ProviderKind;
  baseUrl: string;
  /** Present only when configured; never logged or returned by a tool. */
  apiKey?: string;
  apiKeyEnv: string;
  /** Built-in providers need a key; a custom one (a local Ollama or vLLM) only when api_key_env is set. */
  requiresKey: boolean;
  concurrency: number;
  requestsPerMinute: number;
  /**
   * "config" when requests_per_minute is set in the config file: a cap the limits a provider reports
   * never raise the pace above. "default" when it is the built-in guess, which they replace. Absent means config.
   */
  requestsPerMinuteSource?: 'config' | 'default';
  timeoutMs: number;
}

export interface StageConfig {
  provider: string;
  model: string;
  maxOutputTokens: number;
}

export interface Config {
  home: string;
  roots: string[];
  configFile?: string;
  budget: { monthlyUsd: number; reserveFraction: number; monthStartDay: number };
  providers: Record<string, ProviderConfig>;
  stages: Record<StageRole, StageConfig>;
  /** Rows from the config file; they take precedence over the shipped table. */
  priceOverrides: PriceRow[];
  maxFileBytes: number;
  /**
   * Batch mode: auto sends a stage to a batch API above `autoMinCalls` calls; a stage's batch is cut
   * at `maxRequests` or `maxAgeMs` after its first request; polls start at `pollMs` and back off to `pollMaxMs`.
   */
  batch: { autoMinCalls: number; maxRequests: number; maxAgeMs: number; pollMs: number; pollMaxMs: number };
  token?: string;
  /** Every secret value in force, so output can be scrubbed of them. */
  secrets: string[];
}

const builtInProviders: Record<string, { kind: ProviderKind; baseUrl: string; keyEnv: string; baseEnv: string; concurrency: number; rpm: number }> = {
  deepseek: { kind: 'openai-compatible', baseUrl: 'https://api.deepseek.com', keyEnv: 'DEEPSEEK_API_KEY', baseEnv: 'DEEPSEEK_BASE_URL', concurrency: 32, rpm: 3000 },
  openai: { kind: 'openai-compatible', baseUrl: 'https://api.openai.com/v1', keyEnv: 'OPENAI_API_KEY', baseEnv: 'OPENAI_BASE_URL', concurrency: 16, rpm: 500 },
  anthropic: { kind: 'anthropic', baseUrl: 'https://api.anthropic.com', keyEnv: 'ANTHROPIC_API_KEY', baseEnv: 'ANTHROPIC_BASE_URL', concurrency: 16, rpm: 500 },
};

/** The seed's split: a cheap generator, a formatter, a careful validator. */
export const defaultStages: Record<StageRole, StageConfig> = {
  generate: { provider: 'deepseek', model: 'deepseek-v4-flash', maxOutputTokens: 4096 },
  format: { provider: 'openai', model: 'gpt-6-luna', maxOutputTokens: 2048 },
  validate: { provider: 'anthropic', model: 'claude-haiku-5-5', maxOutputTokens: 1024 },
  judge: { provider: 'anthropic', model: 'claude-haiku-5-5', maxOutputTokens: 4096 },
};

const envSchema = z.object({
  DISTILLERY_HOME: z.string().min(1).optional(),
  DISTILLERY_CONFIG: z.string().min(1).optional(),
  DISTILLERY_ROOTS: z.string().min(1).optional(),
  DISTILLERY_BUDGET_USD: z.coerce.number().positive().max(1_000_000).optional(),
  DISTILLERY_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
});

const envHints: Record<string, string> = {
  DISTILLERY_BUDGET_USD: 'a positive number of US dollars, e.g. DISTILLERY_BUDGET_USD=100',
  DISTILLERY_TOKEN: 'a random string of at least 16 characters, e.g. from `openssl rand -hex 24`',
};

function describeIssues(where: string, error: z.ZodError, hints: Record<string, string> = {}): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.join('.') || '(root)';
      const hint = hints[String(issue.path[0])];
      return `${where} ${key}: ${issue.message}${hint ? ` (expected ${hint})` : ''}`;
    })
    .join('; ');
}

function readConfigFile(file: string): ConfigFile {
  if (!existsSync(file)) {
    throw new ConfigError(`DISTILLERY_CONFIG points at ${file}, which does not exist. Create it or unset DISTILLERY_CONFIG.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`The config file ${file} is not valid JSON (${(error as Error).message}). Fix the syntax or unset DISTILLERY_CONFIG.`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${describeIssues(`Config file ${file}:`, parsed.error)}. Fix these keys; see README "Configuration".`);
  }
  return parsed.data;
}

function splitRoots(value: string, cwd: string): string[] {
  return value
    .split(path.delimiter)
    .map((root) => root.trim())
    .filter(Boolean)
    .map((root) => path.resolve(cwd, root));
}

export interface LoadConfigOptions {
  /** The environment to read; defaults to process.env. Tests pass their own. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Read `.env` in cwd (default true). */
  dotenv?: boolean;
}

export function loadConfig(options: LoadConfigOptions = {}): Readonly<Config> {
  const cwd = options.cwd ?? process.cwd();
  const dotenvFile = path.join(cwd, '.env');
  const fromDotenv = options.dotenv !== false && existsSync(dotenvFile) ? parseDotenv(readFileSync(dotenvFile)) : {};
  const env: Record<string, string | undefined> = { ...fromDotenv, ...(options.env ?? process.env) };
  for (const key of Object.keys(env)) if (env[key] === '') delete env[key];

  const parsedEnv = envSchema.safeParse(env);
  if (!parsedEnv.success) {
    throw new ConfigError(`${describeIssues('Environment variable', parsedEnv.error, envHints)}.`);
  }
  const configFile = parsedEnv.data.DISTILLERY_CONFIG ? path.resolve(cwd, parsedEnv.data.DISTILLERY_CONFIG) : undefined;
  const file = configFile ? readConfigFile(configFile) : {};
  const fileDir = configFile ? path.dirname(configFile) : cwd;

  const providers: Record<string, ProviderConfig> = {};
  const names = new Set([...Object.keys(builtInProviders), ...Object.keys(file.providers ?? {})]);
  for (const name of names) {
    const builtIn = builtInProviders[name];
    const custom = file.providers?.[name] ?? {};
    const kind = custom.kind ?? builtIn?.kind;
    const baseUrl = (builtIn && env[builtIn.baseEnv]) || custom.base_url || builtIn?.baseUrl;
    if (!kind || !baseUrl) {
      throw new ConfigError(`Config file providers.${name}: a custom provider needs "kind" ("openai-compatible" or "anthropic") and "base_url".`);
    }
    if (!z.url().safeParse(baseUrl).success) {
      throw new ConfigError(`${builtIn?.baseEnv ?? `providers.${name}.base_url`} is not a URL: set it to e.g. http://127.0.0.1:11434/v1 or unset it.`);
    }
    const apiKeyEnv = custom.api_key_env ?? builtIn?.keyEnv ?? `${name.toUpperCase().replace(/-/g, '_')}_API_KEY`;
    providers[name] = {
      name,
      kind,
      baseUrl,
      apiKey: env[apiKeyEnv],
      apiKeyEnv,
      requiresKey: !!builtIn || !!custom.api_key_env,
      concurrency: custom.concurrency ?? builtIn?.concurrency ?? 8,
      requestsPerMinute: custom.requests_per_minute ?? builtIn?.rpm ?? 600,
      requestsPerMinuteSource: custom.requests_per_minute === undefined ? 'default' : 'config',
      timeoutMs: custom.timeout_ms ?? 120_000,
    };
  }

  const stages = { ...defaultStages };
  for (const [role, stage] of Object.entries(file.stages ?? {}) as [StageRole, z.infer<typeof stageSchema>][]) {
    if (!providers[stage.provider]) {
      throw new ConfigError(
        `Config file stages.${role}.provider: "${stage.provider}" is not a provider. Use one of ${[...names].join(', ')}, or add it under "providers".`,
      );
    }
    stages[role] = { provider: stage.provider, model: stage.model, maxOutputTokens: stage.max_output_tokens ?? defaultStages[role].maxOutputTokens };
  }

  const token = parsedEnv.data.DISTILLERY_TOKEN;
  const secrets = [token, ...Object.values(providers).map((p) => p.apiKey)].filter((s): s is string => !!s && s.length >= 4);
  const config: Config = {
    home: path.resolve(cwd, parsedEnv.data.DISTILLERY_HOME ?? (file.home ? path.resolve(fileDir, file.home) : 'distillery-data')),
    roots: parsedEnv.data.DISTILLERY_ROOTS
      ? splitRoots(parsedEnv.data.DISTILLERY_ROOTS, cwd)
      : (file.roots?.map((root) => path.resolve(fileDir, root)) ?? [cwd]),
    configFile,
    budget: {
      monthlyUsd: parsedEnv.data.DISTILLERY_BUDGET_USD ?? file.budget?.monthly_usd ?? 100,
      reserveFraction: file.budget?.reserve_fraction ?? 0.2,
      monthStartDay: file.budget?.month_start_day ?? 1,
    },
    providers,
    stages,
    priceOverrides: file.prices ?? [],
    maxFileBytes: Math.round((file.limits?.max_file_mb ?? 50) * 1024 * 1024),
    batch: {
      autoMinCalls: file.batch?.auto_min_calls ?? 200,
      maxRequests: file.batch?.max_requests ?? 5000,
      maxAgeMs: (file.batch?.max_age_seconds ?? 60) * 1000,
      pollMs: (file.batch?.poll_seconds ?? 5) * 1000,
      pollMaxMs: (file.batch?.poll_max_seconds ?? 300) * 1000,
    },
    token,
    secrets,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Replaces every secret in force with a marker; used on anything that leaves the process. */
export function redactSecrets(text: string, config: Pick<Config, 'secrets'>): string {
  let result = text;
  for (const secret of config.secrets) result = result.split(secret).join('[redacted]');
  return result;
}
