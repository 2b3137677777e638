/**
 * The candidate model is called like a provider, under a run-time name: any OpenAI-compatible base
 * URL (Ollama, vLLM, a provider). Its api_key stays in this process's memory, never in params,
 * files or the journal. It is priced as the configured provider with the same base URL, or at $0
 * (a local server) with its tokens still counted.
 */
import type { PriceRow, ProviderConfig } from '../../config.js';
import { InputError } from '../../errors.js';
import type { Services } from '../../services.js';
import type { RunRecord } from '../../store/catalog.js';
import type { EvaluateParams } from './params.js';

/** A price row that charges nothing: the ledger still records the call and its tokens. */
function freePrice(provider: string, model: string): PriceRow {
  return { provider, model, input: 0, cached_input: 0, output: 0, source: 'evaluation endpoint: no price known, counted as $0', as_of: new Date().toISOString().slice(0, 10) };
}

/** The configured provider serving the same base URL, whose price rows then apply. */
export function pricedAs(services: Services, baseUrl: string, model: string): string | undefined {
  const same = (url: string) => url.replace(/\/+$/, '') === baseUrl.replace(/\/+$/, '');
  return Object.values(services.config.providers).find((provider) => same(provider.baseUrl) && services.prices.find(provider.name, model))?.name;
}

export function registerCandidate(services: Services, candidate: EvaluateParams['candidate'], apiKey?: string): void {
  const provider: ProviderConfig = {
    name: candidate.provider,
    kind: 'openai-compatible',
    baseUrl: candidate.base_url,
    ...(apiKey ? { apiKey } : {}),
    apiKeyEnv: 'api_key (evaluate_model)',
    requiresKey: candidate.api_key_given,
    // A local server answers one or a few requests at a time; more would only queue there.
    concurrency: 4,
    requestsPerMinute: 600,
    timeoutMs: 300_000,
  };
  const price = candidate.priced_as ? services.prices.require(candidate.priced_as, candidate.model) : freePrice(candidate.provider, candidate.model);
  services.llm.addEndpoint(provider, { ...price, provider: candidate.provider });
}

/**
 * Whether the candidate can be called in this process. A key-less endpoint is registered again
 * after a restart; one with a key needs resume_run's api_key.
 */
export function candidateRegistered(services: Services, params: EvaluateParams): boolean {
  if (services.llm.hasEndpoint(params.candidate.provider)) return true;
  if (params.candidate.api_key_given) return false;
  registerCandidate(services, params.candidate);
  return true;
}

/** resume_run's api_key: registers the candidate of an evaluation run with its key again. */
export function resumeCandidate(services: Services, run: RunRecord, apiKey: string): void {
  if (run.kind !== 'evaluate') throw new InputError(`api_key applies to evaluation runs; run ${run.id} is a ${run.kind} run.`, 'input_invalid');
  registerCandidate(services, (run.params as unknown as EvaluateParams).candidate, apiKey);
}
