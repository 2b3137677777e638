import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, redactSecrets } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'distillery-config-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const load = (env: Record<string, string>) => loadConfig({ env, cwd: dir });

describe('config', () => {
  it('runs on embedded defaults: ./distillery-data, the working directory as root, $100 with 20% reserve, the seed stages', () => {
    const config = load({});
    expect(config.home).toBe(path.join(dir, 'distillery-data'));
    expect(config.roots).toEqual([dir]);
    expect(config.budget).toEqual({ monthlyUsd: 100, reserveFraction: 0.2, monthStartDay: 1 });
    expect(config.stages.generate).toMatchObject({ provider: 'deepseek', model: 'deepseek-v4-flash' });
    expect(config.stages.format).toMatchObject({ provider: 'openai', model: 'gpt-6-luna' });
    expect(config.stages.validate).toMatchObject({ provider: 'anthropic', model: 'claude-haiku-5-5' });
    expect(Object.isFrozen(config.stages)).toBe(true);
  });

  it('names the variable and the expected value when an environment variable is wrong', () => {
    expect(() => load({ DISTILLERY_BUDGET_USD: 'lots' })).toThrowError(/DISTILLERY_BUDGET_USD.*positive number/);
    expect(() => load({ DISTILLERY_TOKEN: 'short' })).toThrowError(/DISTILLERY_TOKEN.*16 characters/);
    expect(() => load({ DEEPSEEK_BASE_URL: 'not a url' })).toThrowError(/DEEPSEEK_BASE_URL/);
  });

  it('names the key in the config file and the fix', async () => {
    const file = path.join(dir, 'distillery.json');
    await writeFile(file, JSON.stringify({ budget: { reserve_fraction: 2 } }));
    expect(() => load({ DISTILLERY_CONFIG: file })).toThrowError(/budget\.reserve_fraction/);
    await writeFile(file, JSON.stringify({ stages: { generate: { provider: 'nobody', model: 'x' } } }));
    expect(() => load({ DISTILLERY_CONFIG: file })).toThrowError(/stages\.generate\.provider: "nobody" is not a provider/);
    await writeFile(file, '{ not json');
    expect(() => load({ DISTILLERY_CONFIG: file })).toThrowError(ConfigError);
    expect(() => load({ DISTILLERY_CONFIG: path.join(dir, 'missing.json') })).toThrowError(/does not exist/);
  });

  it('lets a stage point at a local OpenAI-compatible server by base URL, with its own price row', async () => {
    const file = path.join(dir, 'distillery.json');
    await writeFile(
      file,
      JSON.stringify({
        providers: { ollama: { kind: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1', concurrency: 2 } },
        stages: { generate: { provider: 'ollama', model: 'qwen3:8b' } },
        prices: [{ provider: 'ollama', model: 'qwen3:8b', input: 0, cached_input: 0, output: 0, source: 'local', as_of: '2026-11-26' }],
      }),
    );
    const config = load({ DISTILLERY_CONFIG: file });
    expect(config.providers.ollama).toMatchObject({ kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1', requiresKey: false, concurrency: 2 });
    expect(config.stages.generate).toMatchObject({ provider: 'ollama', model: 'qwen3:8b' });
    expect(config.priceOverrides).toHaveLength(1);
  });

  it('reads .env in the working directory, with the process environment taking precedence', async () => {
    await writeFile(path.join(dir, '.env'), 'DISTILLERY_BUDGET_USD=42\nOPENAI_API_KEY=sk-from-dotenv-file-123\n');
    expect(load({}).budget.monthlyUsd).toBe(42);
    expect(load({ DISTILLERY_BUDGET_USD: '7' }).budget.monthlyUsd).toBe(7);
    expect(load({}).providers.openai?.apiKey).toBe('sk-from-dotenv-file-123');
  });

  it('scrubs every configured secret from text', () => {
    const config = load({ OPENAI_API_KEY: 'sk-secret-value-xyz', DISTILLERY_TOKEN: 'a-token-of-sixteen-chars' });
    expect(redactSecrets('key sk-secret-value-xyz and a-token-of-sixteen-chars', config)).toBe('key [redacted] and [redacted]');
  });
});
