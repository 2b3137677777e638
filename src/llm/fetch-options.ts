/**
 * fetch options for both SDKs. A redirect is never followed: on a cross-origin redirect fetch drops
 * `authorization` but would send Anthropic's `x-api-key` on to the new address. With redirects off
 * (and no window), undici also skips copying every request body for a possible redirect.
 */
export const noRedirects = { redirect: 'error', window: null } as const;
