/**
 * The prompts an ensemble run answers, as prompts.jsonl in the run folder. From a file or an earlier
 * run they are read once and kept, so a resume answers the same prompts even if the source changes;
 * for a domain they are generated in journaled batches (so a resume regenerates them for free).
 */
import type { RunModeParams } from '../run-mode.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import type { DocumentRef } from '../../files/documents.js';
import { readJsonlArray, writeJsonlAtomic } from '../../store/jsonl.js';
import { mapOrdered } from '../../util/concurrent.js';
import { stableKey } from '../../util/hash.js';
import { NearDuplicateIndex } from '../dedup.js';
import type { RunContext } from '../engine.js';
import { ensembleFiles } from '../run-files.js';
import { answered } from '../stage-outcome.js';
import { ensembleAssumptions } from './estimate.js';
import { promptsFromFile, promptsFromRun, promptsHash, selectPrompts, type EnsemblePrompt, type PromptsFormat } from './inputs.js';
import { generatedPromptsSchema } from './schemas.js';

export type PromptSource =
  | { kind: 'file'; file: DocumentRef & { sha256: string; name: string; format: PromptsFormat } }
  | { kind: 'run'; run_id: string; run_name: string }
  | { kind: 'domain'; domain: string };

export interface EnsembleParams extends RunModeParams {
  source: PromptSource;
  samples?: number;
  teachers: string[];
  dropped_teachers?: string[];
  min_score: number;
  min_agreement: number;
  /** Hash of the prompts chosen at start (file and run sources). */
  prompts_sha256?: string;
}

export const promptsStage = 'ensemble.prompts';

const focuses = [
  'core concepts and definitions',
  'how and why things work',
  'applied problems with a concrete case',
  'common mistakes and misconceptions',
  'comparisons and trade-offs',
  'step-by-step procedures',
  'edge cases and exceptions',
  'current practice and standards',
  'troubleshooting and diagnosis',
  'advanced questions an expert would ask',
];

/** Returns the prompts, or undefined when the run is stopping. */
export async function preparePrompts(context: RunContext<EnsembleParams>): Promise<EnsemblePrompt[] | undefined> {
  const { params, dir, services } = context;
  const file = path.join(dir, ensembleFiles.prompts);
  const { source } = params;
  if (source.kind === 'domain') {
    const prompts = await generatePrompts(context, source.domain, params.samples ?? 20);
    if (prompts) await writeJsonlAtomic(file, prompts);
    return prompts;
  }
  if (existsSync(file)) {
    const kept = await readJsonlArray<EnsemblePrompt>(file);
    if (promptsHash(kept) === params.prompts_sha256) return kept;
  }
  const loaded = source.kind === 'file'
    ? (await promptsFromFile(source.file.path, [source.file.root], services.config.maxFileBytes, params.samples)).loaded.prompts
    : await fromRun(context, source.run_id);
  if (promptsHash(loaded) !== params.prompts_sha256) {
    const what = source.kind === 'file' ? source.file.relative : `run ${source.run_id}`;
    throw new InputError(`The prompts in ${what} changed between starting this run and its first step. Start a new ensemble run.`, 'prompts_changed');
  }
  await writeJsonlAtomic(file, loaded);
  return loaded;
}

async function fromRun(context: RunContext<EnsembleParams>, runId: string): Promise<EnsemblePrompt[]> {
  const { run, dir, active } = context.otherRun(runId);
  return selectPrompts(await promptsFromRun(run, dir, active), context.params.samples).prompts;
}

async function generatePrompts(context: RunContext<EnsembleParams>, domain: string, wanted: number): Promise<EnsemblePrompt[] | undefined> {
  const { progress, services } = context;
  const collected: EnsemblePrompt[] = [];
  const duplicates = new NearDuplicateIndex();
  const size = ensembleAssumptions.promptsPerBatch;
  // A first round asks for all; up to two more rounds top up what duplicates or failures left short.
  for (let round = 0; round < 3 && collected.length < wanted; round++) {
    const missing = wanted - collected.length;
    const batches = Array.from({ length: Math.ceil(missing / size) }, (_, batch) => ({ round, batch, count: Math.min(size, missing - batch * size), of: Math.ceil(missing / size) }));
    progress.addTotal(promptsStage, batches.length);
    const results = mapOrdered(batches, 8, async ({ batch, count, of }) => {
      const focus = focuses[(round * 7 + batch) % focuses.length]!;
      const rendered = services.prompts.render('ensemble/prompts', { domain, focus, batch: batch + 1, batches: of, count });
      const sampleKey = `prompts-${stableKey(domain, round, batch, count)}`;
      const outcome = await context.call({ stage: promptsStage, role: 'generate', sampleKey, promptHash: rendered.hash, system: rendered.system, prompt: rendered.prompt, schema: generatedPromptsSchema, schemaName: 'prompts', maxOutputTokens: Math.max(1024, count * 150) });
      if (!answered(context, promptsStage, outcome, `prompt batch ${round + 1}.${batch + 1}`)) return [];
      return outcome.value.prompts.map((p, i) => ({ instruction: p.instruction.trim(), input: (p.input ?? '').trim(), origin: { batch: `${round + 1}.${batch + 1}.${i + 1}` } }));
    }, context.shouldStop);
    for await (const prompts of results) {
      for (const prompt of prompts) {
        progress.count('prompts_generated');
        if (collected.length >= wanted) {
          progress.drop('over_requested');
          continue;
        }
        if (duplicates.check(String(collected.length), `${prompt.instruction}\n${prompt.input}`).duplicate) {
          progress.drop('duplicate_prompt');
          progress.count('duplicate_prompts');
          continue;
        }
        collected.push(prompt);
      }
    }
    if (context.shouldStop()) return undefined;
  }
  if (collected.length === 0) {
    const failed = progress.stage(promptsStage).failed;
    throw new InputError(`No prompts could be generated for "${domain}" (${failed} of ${progress.stage(promptsStage).done} calls failed). Check the generate model with check_setup, then resume_run.`, 'prompts_failed');
  }
  if (collected.length < wanted) {
    progress.count('prompts_short', wanted - collected.length);
    progress.error(promptsStage, `Only ${collected.length} distinct prompts of ${wanted} could be generated for "${domain}" (duplicates and failures); the run answers those.`);
  }
  return collected;
}
