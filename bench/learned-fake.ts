/**
 * The fake provider for bench/learned-limits.ts, in its own process so that the fake's work does not
 * slow the Distillery it measures: it enforces the limit it is given, tells its parent its base URLs, and
 * on request reports what it served and refused per provider.
 */
import { FakeProviderServer, reply, type Flavour } from '../test/fakes/provider-server.js';

export interface FakeReport {
  /** performance.timeOrigin-based times (ms since the epoch) of the requests served. */
  served: Record<Flavour, number[]>;
  refused: Record<Flavour, number>;
}

const [limit, window, latencyMs] = process.argv.slice(2);
const served: Record<Flavour, number[]> = { openai: [], anthropic: [], deepseek: [] };
const fake = await FakeProviderServer.start({
  latencyMs: Number(latencyMs),
  responder: (request) => {
    served[request.flavour].push(performance.timeOrigin + performance.now());
    return reply.json({ answer: '4' });
  },
});
fake.rateLimits.configure({ requestsPerMinute: Number(limit), window: window === 'fixed' ? 'fixed' : 'sliding', enforce: true });
// The fake keeps every request for tests; a benchmark does not need them.
setInterval(() => (fake.requests.length = 0), 1000).unref();
process.on('message', async () => {
  const report: FakeReport = { served, refused: { ...fake.rateLimits.refused } };
  process.send!(report);
  await fake.close();
  process.disconnect();
});
process.send!({ baseUrls: { openai: fake.baseUrl('openai'), anthropic: fake.baseUrl('anthropic'), deepseek: fake.baseUrl('deepseek') } });
