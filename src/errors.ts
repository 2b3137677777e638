/**
 * Errors a person can act on. Every message says what failed, the numbers involved and the next
 * step. Messages never carry a stack trace, an API key or a raw provider body.
 */
export class DistilleryError extends Error {
  /** A stable machine-readable code, e.g. `budget_exceeded`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or wrong; the message names the key and the fix. */
export class ConfigError extends DistilleryError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** Tool or CLI input that cannot be used as given (paths, numbers, unknown ids). */
export class InputError extends DistilleryError {
  constructor(message: string, code = 'input_invalid') {
    super(code, message);
  }
}

/** The monthly budget, its reserve or a run's max_usd cannot cover the next call or run. */
export class BudgetError extends DistilleryError {
  constructor(
    message: string,
    readonly figures: { neededUsd: number; availableUsd: number; scope: 'month' | 'run' },
  ) {
    super('budget_exceeded', message);
  }
}

/** The price table has no row for a model: refused before any call is sent. */
export class PriceMissingError extends DistilleryError {
  constructor(provider: string, model: string) {
    super(
      'price_missing',
      `No price is known for ${provider}/${model}, so its cost cannot be guarded. ` +
        `Add a row for it under "prices" in the config file (DISTILLERY_CONFIG), or pick a model from check_setup.`,
    );
  }
}

/** How a provider failure should be handled by the engine. */
export type ProviderFailureKind =
  | 'rate_limited' // 429: back off, honour retry-after, try again
  | 'overloaded' // 529 / 503: back off and try again
  | 'server' // 5xx: try again
  | 'timeout' // no answer in time: try again
  | 'connection' // could not connect: try again
  | 'unreachable' // could not connect, and the provider has never answered this process: stop
  | 'billing' // insufficient balance, quota, spend limit: stop, never retry
  | 'auth' // bad or missing key: stop
  | 'not_found' // unknown model or endpoint: stop
  | 'redirect' // the base URL answered with a redirect, which is never followed: stop
  | 'bad_request' // the request itself is wrong: do not retry
  | 'cancelled'; // we aborted it

export class ProviderError extends DistilleryError {
  constructor(
    readonly provider: string,
    readonly kind: ProviderFailureKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number } = {},
  ) {
    super(`provider_${kind}`, message);
  }

  /** Worth another attempt after a pause. */
  get isRetryable(): boolean {
    return ['rate_limited', 'overloaded', 'server', 'timeout', 'connection'].includes(this.kind);
  }

  /** Stops the run: retrying cannot help and may cost money. */
  get isFatal(): boolean {
    return ['billing', 'auth', 'not_found', 'redirect', 'unreachable'].includes(this.kind);
  }
}

/** An answer that could not be turned into the expected structure, even after a re-ask. */
export class OutputFormatError extends DistilleryError {
  constructor(
    message: string,
    readonly reason: 'blank' | 'truncated' | 'malformed_json' | 'schema_mismatch' | 'refusal',
  ) {
    super(`output_${reason}`, message);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
