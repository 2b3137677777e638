/**
 * Everything before an ensemble spends money: find the prompts, check the teachers, estimate the
 * cost, make sure every provider has a key and the budget covers it, then start the run.
 */
import { z } from 'zod';
import { InputError } from '../errors.js';
import { defaultMinScore } from '../pipelines/judging.js';
import type { RunRecord } from '../store/catalog.js';
import type { Services } from '../services.js';
import type { RunEngine } from '../pipelines/engine.js';
import { estimateEnsemble } from '../pipelines/ensemble/estimate.js';
import { calibratedEnsembleEstimate, type CalibratedEnsembleEstimate } from '../planning/calibration.js';
import { promptsFromFile, promptsFromRun, promptsHash, selectPrompts, type LoadedPrompts } from '../pipelines/ensemble/inputs.js';
import type { EnsembleParams, PromptSource } from '../pipelines/ensemble/teacher-prompts.js';
import { parseTeacher, resolveTeachers } from '../pipelines/ensemble/teachers.js';
import { checkRunFits } from './budget-fit.js';
import { costForMode, runModeInput, runModeParams } from '../pipelines/run-mode.js';

export const defaultDomainSamples = 20;

export const ensembleInput = z.object({
  prompts_file: z.string().min(1).max(4096).optional().describe('Prompts to answer: a .jsonl file (one {"instruction": "...", "input": "..."} a line) or a .txt file (one prompt a line), inside an allowed root. Blank lines are skipped.'),
  run_id: z.string().min(1).max(200).optional().describe('Use the instructions of an earlier run\'s approved samples (a distill golden set or a cascade train set) as the prompts.'),
  domain: z.string().min(2).max(300).optional().describe('Generate the prompts first for this domain, e.g. "veterinary dermatology" (one small call per 25 prompts).'),
  samples: z.int().min(1).max(100_000).optional().describe(`How many prompts to answer: caps a file or run, and is the number generated for a domain (default ${defaultDomainSamples}).`),
  teachers: z.array(z.string().min(3).max(200)).min(2).max(8).optional().describe('Two or more "provider/model" teachers, each configured and priced. Default: the configured generate, format and validate models (one DeepSeek, one OpenAI, one Anthropic).'),
  min_score: z.number().min(0).max(10).optional().describe(`Approve when the judge scores the consensus answer at least this, of 10 (default ${defaultMinScore}).`),
  min_agreement: z.number().min(0).max(1).optional().describe('Below this agreement (0-1) a sample goes to review as pending instead of being approved or rejected (default 0.5).'),
  max_usd: z.number().positive().max(100_000).optional().describe('Hard cap for this run in US dollars; the run pauses instead of going over.'),
  dry_run: z.boolean().optional().describe('Only estimate prompts, calls, tokens and cost; spend nothing. Works without API keys.'),
  ...runModeInput,
});
export type EnsembleInput = z.infer<typeof ensembleInput>;

export interface EnsembleStartOutcome {
  run?: RunRecord;
  dryRun: boolean;
  source: { kind: PromptSource['kind']; description: string; prompts: number; available?: number; blank_lines?: number; duplicates?: number };
  /** Token counts times prices, calibrated with past ensemble runs of the same models when there are any. */
  estimate: CalibratedEnsembleEstimate;
  availableUsd: number;
  warnings: string[];
}

export async function startEnsemble(services: Services, engine: RunEngine, input: EnsembleInput, roots: string[]): Promise<EnsembleStartOutcome> {
  const given = (['prompts_file', 'run_id', 'domain'] as const).filter((key) => input[key] !== undefined);
  if (given.length !== 1) {
    throw new InputError(`Give exactly one source of prompts: prompts_file, run_id or domain${given.length ? ` (got ${given.join(' and ')})` : ''}.`);
  }
  const teachers = resolveTeachers(services, input.teachers);
  const date = new Date().toISOString().slice(0, 10);
  let source: PromptSource;
  let loaded: LoadedPrompts | undefined;
  let description: string;
  let name: string;
  if (input.prompts_file !== undefined) {
    const file = await promptsFromFile(input.prompts_file, roots, services.config.maxFileBytes, input.samples);
    source = { kind: 'file', file: { ...file.ref, sha256: file.sha256, name: file.name, format: file.format } };
    loaded = file.loaded;
    description = file.ref.relative;
    name = `${file.name} ${date}`;
  } else if (input.run_id !== undefined) {
    const earlier = engine.get(input.run_id);
    loaded = selectPrompts(await promptsFromRun(earlier, engine.runDir(earlier.id), engine.isActive(earlier.id)), input.samples);
    source = { kind: 'run', run_id: earlier.id, run_name: earlier.name };
    description = `run ${earlier.id} (${earlier.name})`;
    name = `prompts of ${earlier.name.replace(/ \d{4}-\d{2}-\d{2}$/, '')} ${date}`;
  } else {
    const domain = input.domain!.trim();
    source = { kind: 'domain', domain };
    description = `generated prompts for "${domain}"`;
    name = `${domain} ${date}`;
  }
  const count = loaded ? loaded.prompts.length : input.samples ?? defaultDomainSamples;
  const estimate = await calibratedEnsembleEstimate(services, estimateEnsemble(services, teachers, loaded ? loaded.prompts : { generated: count }));
  const availableUsd = services.guard.available();
  const outcome: EnsembleStartOutcome = {
    dryRun: !!input.dry_run,
    source: { kind: source.kind, description, prompts: count, ...(loaded ? { available: loaded.available, blank_lines: loaded.blankLines, duplicates: loaded.duplicates } : {}) },
    estimate,
    availableUsd,
    warnings: [],
  };
  if (loaded?.duplicates) outcome.warnings.push(`${loaded.duplicates} duplicate prompt${loaded.duplicates === 1 ? ' was' : 's were'} skipped.`);
  if (input.dry_run) return outcome;

  for (const teacher of teachers) services.llm.requireKey(services.llm.resolve('generate', parseTeacher(teacher)));
  services.llm.requireKey(services.llm.resolve('judge'));
  if (source.kind === 'domain') services.llm.requireKey(services.llm.resolve('generate'));
  checkRunFits(services, costForMode(estimate, input.mode), { availableUsd, maxUsd: input.max_usd }, { what: `an ensemble of ${teachers.length} teachers on ${count} prompts`, lower: 'Lower samples, use fewer teachers' }, outcome.warnings);
  const params: EnsembleParams = {
    source,
    ...(input.samples !== undefined || source.kind === 'domain' ? { samples: count } : {}),
    teachers,
    min_score: input.min_score ?? defaultMinScore,
    min_agreement: input.min_agreement ?? 0.5,
    ...(input.max_usd !== undefined ? { max_usd: input.max_usd } : {}),
    ...(loaded ? { prompts_sha256: promptsHash(loaded.prompts) } : {}),
    ...runModeParams(input),
  };
  outcome.run = await engine.start('ensemble', name, params);
  return outcome;
}
