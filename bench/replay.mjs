/**
 * The floor for the cascade bench: replays recorded requests (one JSON object per line: flavour, path,
 * body) as bare fetch POSTs, a given number at a time per provider, all providers at once. Prints one
 * JSON line: the wall time from the first request to the last answer, and the count.
 * Usage: node --import tsx bench/replay.ts requests.jsonl http://127.0.0.1:PORT '{"openai":16,"deepseek":32,"anthropic":16}'
 */
import { readFile } from 'node:fs/promises';

interface Recorded {
  flavour: string;
  path: string;
  body: string;
}

const [file, url, concurrencyText] = process.argv.slice(2);
if (!file || !url || !concurrencyText) throw new Error('usage: replay.ts requests.jsonl http://127.0.0.1:PORT {"provider":concurrency,...}');
const concurrency = JSON.parse(concurrencyText) as Record<string, number>;
const recorded = (await readFile(file, 'utf8'))
  .split('\n')
  .filter((line) => line !== '')
  .map((line) => JSON.parse(line) as Recorded);

const byProvider = new Map<string, Recorded[]>();
for (const request of recorded) byProvider.set(request.flavour, [...(byProvider.get(request.flavour) ?? []), request]);

const headers = { 'content-type': 'application/json', authorization: 'Bearer bench', 'x-api-key': 'bench', 'anthropic-version': '2023-06-01' };
let failed = 0;
const started = performance.now();
await Promise.all(
  [...byProvider].flatMap(([provider, requests]) => {
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const response = await fetch(url + request.path, { method: 'POST', headers, body: request.body });
        await response.arrayBuffer();
        if (!response.ok) failed++;
      }
    };
    return Array.from({ length: concurrency[provider] ?? 16 }, worker);
  }),
);
const seconds = (performance.now() - started) / 1000;
if (failed > 0) throw new Error(`${failed} of ${recorded.length} replayed requests failed`);
console.log(JSON.stringify({ seconds, calls: recorded.length }));
