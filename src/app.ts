/** The application: services plus the run engine with every pipeline registered. */
import type { Config } from './config.js';
import { createServices, type ServiceOptions, type Services } from './services.js';
import { RunEngine } from './pipelines/engine.js';
import type { BatchingOptions } from './pipelines/batching.js';
import { runDistill } from './pipelines/distill/pipeline.js';
import { runCascade } from './pipelines/cascade/pipeline.js';
import { runEnsemble } from './pipelines/ensemble/pipeline.js';
import { runEvaluate } from './pipelines/evaluate/pipeline.js';

export const version = '0.1.0';

export interface App {
  config: Readonly<Config>;
  services: Services;
  engine: RunEngine;
  close(): Promise<void>;
}

export async function createApp(config: Readonly<Config>, options: ServiceOptions & { recover?: boolean; batching?: BatchingOptions } = {}): Promise<App> {
  const services = await createServices(config, options);
  const engine = new RunEngine(services, options.batching);
  engine.register('distill', runDistill);
  engine.register('cascade', runCascade);
  engine.register('ensemble', runEnsemble);
  engine.register('evaluate', runEvaluate);
  if (options.recover !== false) await engine.recoverInterrupted();
  return {
    config,
    services,
    engine,
    async close() {
      await engine.shutdown();
      await services.ledger.close();
    },
  };
}
