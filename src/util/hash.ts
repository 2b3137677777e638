import { createHash } from 'node:crypto';

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A short, stable key for a list of parts. */
export function stableKey(...parts: unknown[]): string {
  return sha256(JSON.stringify(parts)).slice(0, 24);
}
