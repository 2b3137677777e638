/**
 * The floor for the cascade bench: replays recorded requests (one JSON object per line: flavour, path,
 * body) as bare fetch POSTs, a given number at a time per provider, all providers at once. Prints one
 * JSON line: the wall time from the first request to the last answer, and the count.
 * With `sdk` as a fourth argument the same requests go through the openai and @anthropic-ai/sdk
 * clients instead, configured as Distillery configures them (no retries, no redirects, a timeout and
 * an abort signal per call) and with nothing else around them: what the SDKs alone add to the floor.
 * Plain JavaScript, run by node itself, so no TypeScript loader adds to its start or its CPU time.
 * Usage: node bench/replay.mjs requests.jsonl http://127.0.0.1:PORT '{"openai":16,"deepseek":32,"anthropic":16}' [sdk]
 */
import { readFile } from 'node:fs/promises';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

/** @typedef {{ flavour: string, path: string, body: string }} Recorded */

const [file, url, concurrencyText, mode] = process.argv.slice(2);
if (!file || !url || !concurrencyText) throw new Error('usage: node bench/replay.mjs requests.jsonl http://127.0.0.1:PORT {"provider":concurrency,...}');
/** @type {Record<string, number>} */
const concurrency = JSON.parse(concurrencyText);
const recorded = (await readFile(file, 'utf8'))
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => /** @type {Recorded} */ (JSON.parse(line)));

/** @type {Map<string, Recorded[]>} */
const byProvider = new Map();
for (const request of recorded) {
  const requests = byProvider.get(request.flavour) ?? [];
  requests.push(request);
  byProvider.set(request.flavour, requests);
}

const headers = { 'content-type': 'application/json', authorization: 'Bearer bench', 'x-api-key': 'bench', 'anthropic-version': '2023-06-01' };
const sdkOptions = { apiKey: 'bench', maxRetries: 0, timeout: 120_000, fetchOptions: { redirect: 'error', window: null } };
/** @type {Map<string, OpenAI | Anthropic>} SDK clients by base URL, which is the request path less its endpoint. */
const clients = new Map();

/** @param {Recorded} request */
async function send(request) {
  if (mode !== 'sdk') {
    const response = await fetch(url + request.path, { method: 'POST', headers, body: request.body });
    await response.arrayBuffer();
    return response.ok;
  }
  const messages = request.path.endsWith('/v1/messages');
  const baseURL = url + request.path.slice(0, -(messages ? '/v1/messages' : '/chat/completions').length);
  let client = clients.get(baseURL);
  if (!client) clients.set(baseURL, (client = messages ? new Anthropic({ ...sdkOptions, baseURL }) : new OpenAI({ ...sdkOptions, baseURL })));
  const options = { signal: new AbortController().signal };
  await (messages ? /** @type {Anthropic} */ (client).messages.create(JSON.parse(request.body), options) : /** @type {OpenAI} */ (client).chat.completions.create(JSON.parse(request.body), options));
  return true;
}

let failed = 0;
const started = performance.now();
await Promise.all(
  [...byProvider].flatMap(([provider, requests]) => {
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        if (!(await send(requests[next++]))) failed++;
      }
    };
    return Array.from({ length: concurrency[provider] ?? 16 }, worker);
  }),
);
const seconds = (performance.now() - started) / 1000;
if (failed > 0) throw new Error(`${failed} of ${recorded.length} replayed requests failed`);
console.log(JSON.stringify({ seconds, calls: recorded.length }));
