import { hash } from 'node:crypto';

/** One-shot sha256 (crypto.hash): a third of the time of createHash().update().digest() on short texts. */
export function sha256(text: string | Uint8Array): string {
  return hash('sha256', text, 'hex');
}

/** A short, stable key for a list of parts. */
export function stableKey(...parts: unknown[]): string {
  return sha256(JSON.stringify(parts)).slice(0, 24);
}
