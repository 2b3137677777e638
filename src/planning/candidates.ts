/**
 * Runs a plan can hold, each estimated the way its start tool estimates it (token counts of the real
 * inputs times the price table, calibrated with past runs), plus the search for the largest size of
 * a scalable run that fits an amount of money.
 */
import { listDocuments } from '../files/documents.js';
import { readSource, resolveInputs } from '../pipelines/distill/inputs.js';
import type { RunKind } from '../store/catalog.js';
import type { Services } from '../services.js';
import { defaultChunkOptions, type Chunk } from '../pipelines/distill/chunker.js';
import { estimateDistill } from '../pipelines/distill/estimate.js';
import { provisionalTemplate, resolveDomain, type DomainTemplate } from '../pipelines/cascade/domains.js';
import type { CascadeTarget } from '../pipelines/cascade/target.js';
import { estimateEnsemble } from '../pipelines/ensemble/estimate.js';
import { promptsFromFile, selectPrompts, type EnsemblePrompt } from '../pipelines/ensemble/inputs.js';
import { parseTeacher, resolveTeachers } from '../pipelines/ensemble/teachers.js';
import { calibrateDistill, calibrateEnsemble, describeBasis, type Calibration, type CostRange } from './calibration.js';
import type { PastRun } from './history.js';
import { offPeakHigh } from './off-peak.js';
import { defaultGoldenFraction } from '../pipelines/cascade/golden.js';
import { sizeCascade } from './cascade-sizing.js';
import { costForMode } from '../pipelines/run-mode.js';
import type { RunMode } from '../pipelines/batch-types.js';

export interface PlannedRun {
  kind: Exclude<RunKind, 'evaluate'>;
  label: string;
  tool: 'distill_file' | 'start_cascade' | 'start_ensemble';
  /** The arguments to pass to the tool to start this run. */
  arguments: Record<string, unknown>;
  /** How its calls go out: its cost and fit follow from it, as the start tool checks it. */
  mode: RunMode;
  /** In the run's mode: the batch range in batch mode, the live one otherwise (auto may go live). */
  costUsd: CostRange;
  liveCostUsd: CostRange;
  /** The same run in batch mode: batch rates at OpenAI and Anthropic, off-peak rates at DeepSeek. */
  batchCostUsd: CostRange;
  /** The high end if the peak-priced stages run off-peak (batch mode waits for off-peak already). */
  offPeakHighUsd: number;
  approvedPairs: number;
  rawPairs: number;
  /** Samples, for the runs a plan can scale. */
  size?: number;
  basis: string;
  calibration: Calibration | null;
}

export interface PlanContext {
  services: Services;
  roots: string[];
  history: PastRun[];
  documents: Map<string, Promise<{ relative: string; chunks: Chunk[] }>>;
  domains: Map<string, { name: string; template: DomainTemplate; expand: boolean }>;
  promptFiles: Map<string, Promise<EnsemblePrompt[]>>;
  /** The mode runs are planned in; a goal may set its own (see `inMode`). */
  mode: RunMode;
}

export function planContext(services: Services, roots: string[], history: PastRun[], mode: RunMode = 'live'): PlanContext {
  return { services, roots, history, documents: new Map(), domains: new Map(), promptFiles: new Map(), mode };
}

/** The same context (and its caches) planning in another mode. */
export function inMode(context: PlanContext, mode: RunMode | undefined): PlanContext {
  return mode === undefined || mode === context.mode ? context : { ...context, mode };
}

/** The cost fields and arguments every planned run takes from its estimate and the plan's mode. */
function priced(context: PlanContext, estimate: { costUsd: CostRange; costBatchUsd: CostRange }, offPeakHighUsd: number, args: Record<string, unknown>) {
  const { mode } = context;
  return {
    arguments: mode === 'live' ? args : { ...args, mode },
    mode,
    costUsd: costForMode(estimate, mode),
    liveCostUsd: estimate.costUsd,
    batchCostUsd: estimate.costBatchUsd,
    offPeakHighUsd: mode === 'batch' ? estimate.costBatchUsd.high : offPeakHighUsd,
  };
}

export async function allowedDocuments(context: PlanContext, limit: number): Promise<string[]> {
  const listing = await listDocuments(context.roots, { limit });
  return listing.documents.map((document) => document.relative);
}

export async function documentRun(context: PlanContext, path: string, pairsPerChunk?: number): Promise<PlannedRun> {
  const { services } = context;
  let loading = context.documents.get(path);
  if (!loading) {
    loading = (async () => {
      // A document or a folder of them, read as distill_file reads it (any format).
      const inputs = await resolveInputs(path, context.roots);
      const chunks: Chunk[] = [];
      for (const ref of inputs.refs) chunks.push(...(await readSource(ref, services.config.maxFileBytes, defaultChunkOptions, chunks.length)).chunks);
      return { relative: inputs.folder ? `${inputs.folder.relative}/` : inputs.refs[0]!.relative, chunks };
    })();
    context.documents.set(path, loading);
  }
  const { relative, chunks } = await loading;
  const estimate = calibrateDistill(context.history, estimateDistill(services, chunks, pairsPerChunk));
  const rows = (role: 'generate' | 'validate') => [services.llm.resolve(role).price];
  return {
    kind: 'distill',
    label: relative,
    tool: 'distill_file',
    ...priced(
      context,
      estimate,
      offPeakHigh([[estimate.costByStageUsd.generate.high, rows('generate')], [estimate.costByStageUsd.validate.high, rows('validate')]]),
      { path: relative, ...(pairsPerChunk !== undefined ? { pairs_per_chunk: pairsPerChunk } : {}) },
    ),
    approvedPairs: estimate.expectedApprovedPairs,
    rawPairs: estimate.pairs,
    basis: describeBasis('distill', estimate.calibration),
    calibration: estimate.calibration,
  };
}

/** With target "approved", `samples` is the approved pairs to end with, planned at the measured approval rate. */
export function cascadeRun(context: PlanContext, domain: string, samples: number, stageAOnly: boolean, target: CascadeTarget = 'generated'): PlannedRun {
  const { services } = context;
  let resolved = context.domains.get(domain);
  if (!resolved) {
    const found = resolveDomain(domain, services.config.home);
    resolved = { name: found.name, template: found.template ?? provisionalTemplate(found.input, services.config.home), expand: found.kind === 'free_text' };
    context.domains.set(domain, resolved);
  }
  const { estimate, approval } = sizeCascade(services, context.history, resolved.template, { samples, target, stageAOnly, goldenFraction: defaultGoldenFraction, expand: resolved.expand });
  const row = (role: 'generate' | 'format' | 'validate') => [services.llm.resolve(role).price];
  const stages = estimate.costByStageUsd;
  return {
    kind: 'cascade',
    label: `${resolved.name} cascade of ${samples.toLocaleString('en-US')} ${approval ? 'approved ' : ''}samples${stageAOnly ? ' (stage A only)' : ''}`,
    tool: 'start_cascade',
    ...priced(
      context,
      estimate,
      offPeakHigh([[stages.expand.high + stages.generate.high, row('generate')], [stages.format.high, row('format')], [stages.validate.high, row('validate')]]),
      { domain, samples, ...(stageAOnly ? { stage_a_only: true } : {}), ...(approval ? { target: 'approved' } : {}) },
    ),
    approvedPairs: estimate.expected.approved,
    rawPairs: estimate.expected.rawPairs,
    size: samples,
    basis: describeBasis('cascade', estimate.calibration) + (approval ? `; planned at ${approval.basis}` : ''),
    calibration: estimate.calibration,
  };
}

export interface EnsembleSource {
  domain?: string;
  promptsFile?: string;
}

export async function ensembleRun(context: PlanContext, samples: number, source: EnsembleSource): Promise<PlannedRun> {
  const { services } = context;
  const teachers = resolveTeachers(services);
  let prompts: EnsemblePrompt[] | undefined;
  if (source.promptsFile !== undefined) {
    let loading = context.promptFiles.get(source.promptsFile);
    if (!loading) {
      loading = promptsFromFile(source.promptsFile, context.roots, services.config.maxFileBytes, undefined).then((file) => file.loaded.prompts);
      context.promptFiles.set(source.promptsFile, loading);
    }
    prompts = selectPrompts(await loading, samples).prompts;
  }
  const estimate = calibrateEnsemble(context.history, estimateEnsemble(services, teachers, prompts ?? { generated: samples }));
  const stages = estimate.costByStageUsd;
  const teacherRows = teachers.map((name) => services.llm.resolve('generate', parseTeacher(name)).price);
  const count = prompts?.length ?? samples;
  const domain = source.domain ?? 'general';
  return {
    kind: 'ensemble',
    label: `ensemble on ${count.toLocaleString('en-US')} ${source.promptsFile !== undefined ? `prompts from ${source.promptsFile}` : `generated ${domain} prompts`}`,
    tool: 'start_ensemble',
    ...priced(
      context,
      estimate,
      offPeakHigh([
        [stages.prompts.high, [services.llm.resolve('generate').price]],
        [stages.answer.high, teacherRows],
        [stages.judge.high, [services.llm.resolve('judge').price]],
      ]),
      source.promptsFile !== undefined ? { prompts_file: source.promptsFile, samples: count } : { domain, samples: count },
    ),
    approvedPairs: estimate.expectedApprovedSamples,
    rawPairs: count,
    size: count,
    basis: describeBasis('ensemble', estimate.calibration),
    calibration: estimate.calibration,
  };
}

/** Sizes people can read: 61,874 becomes 61,000. */
export function roundSize(n: number): number {
  if (n < 100) return Math.max(0, Math.floor(n));
  const step = 10 ** (Math.floor(Math.log10(n)) - 1);
  return Math.floor(n / step) * step;
}

/**
 * The largest run of `make(n)` whose high end fits `moneyUsd`: costs scale about linearly with
 * samples, so estimate once at a reference size, scale, then verify with a real estimate.
 */
export async function largestThatFits(
  make: (samples: number) => PlannedRun | Promise<PlannedRun>,
  options: { reference: number; min: number; max: number; moneyUsd: number },
): Promise<PlannedRun | undefined> {
  const { min, max, moneyUsd } = options;
  if (max < min) return undefined;
  const probe = await make(Math.max(min, Math.min(options.reference, max)));
  const perSample = probe.costUsd.high / (probe.size ?? 1);
  // A 1% margin so the first verification usually passes.
  let samples = roundSize(Math.min(max, perSample > 0 ? Math.floor((moneyUsd / perSample) * 0.99) : max));
  for (let attempt = 0; attempt < 4 && samples >= min; attempt++) {
    const run = samples === probe.size ? probe : await make(samples);
    if (run.costUsd.high <= moneyUsd + 1e-9) return run;
    samples = roundSize(Math.floor(samples * (moneyUsd / run.costUsd.high) * 0.98));
  }
  return undefined;
}
