/**
 * Where an ensemble's prompts come from: a prompts file inside the allowed roots (.txt, one prompt a
 * line, or .jsonl with instruction and optional input), or the approved samples of an earlier run.
 * Nothing here spends money.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { isInsideRoots, readDocument, resolveDocument, type DocumentRef } from '../../files/documents.js';
import { readJsonlArray } from '../../store/jsonl.js';
import type { RunRecord } from '../../store/catalog.js';
import { sha256, stableKey } from '../../util/hash.js';
import { normalizeText } from '../dedup.js';
import { cascadeFiles, distillFiles, ensembleFiles } from '../run-files.js';

export interface EnsemblePrompt {
  instruction: string;
  input: string;
  /** Where it came from: a file line, or a sample of an earlier run. */
  origin: { line?: number; run?: string; sample?: string; batch?: string };
}

export interface LoadedPrompts {
  prompts: EnsemblePrompt[];
  blankLines: number;
  duplicates: number;
  /** How many prompts there were before `samples` capped them. */
  available: number;
}

export type PromptsFormat = 'txt' | 'jsonl';

/** The deterministic key of a prompt: its calls replay on resume whatever position it has. */
export function promptKey(prompt: Pick<EnsemblePrompt, 'instruction' | 'input'>): string {
  return `prompt-${stableKey(prompt.instruction, prompt.input)}`;
}

/** Hash of the prompts a run answers, kept in its params so a resume can tell if they changed. */
export function promptsHash(prompts: EnsemblePrompt[]): string {
  return sha256(JSON.stringify(prompts.map((p) => [p.instruction, p.input]))).slice(0, 24);
}

/** Finds and reads a prompts file: .txt through the document reader, .jsonl with the same root checks. */
export async function readPromptsFile(typed: string, roots: string[], maxBytes: number): Promise<{ ref: DocumentRef; text: string; sha256: string; format: PromptsFormat }> {
  const extension = path.extname(typed.trim()).toLowerCase();
  if (extension === '.txt') {
    const ref = await resolveDocument(typed, roots);
    const document = await readDocument(ref, { maxBytes });
    return { ref, text: document.text, sha256: document.sha256, format: 'txt' };
  }
  if (extension !== '.jsonl') {
    throw new InputError(`prompts_file ${typed} is ${extension ? `a ${extension} file` : 'a file without an extension'}; use .jsonl (one {"instruction": "...", "input": "..."} a line) or .txt (one prompt a line).`, 'document_type');
  }
  const ref = await resolveJsonl(typed, roots);
  const raw = await readFile(ref.path);
  if (raw.length === 0) throw new InputError(`${ref.relative} is empty (0 bytes): there are no prompts in it.`, 'document_empty');
  if (raw.length > maxBytes) throw new InputError(`${ref.relative} is ${(raw.length / 1_048_576).toFixed(1)} MB, over the ${(maxBytes / 1_048_576).toFixed(0)} MB limit. Split it, or raise limits.max_file_mb in the config file.`, 'document_too_large');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new InputError(`${ref.relative} is not valid UTF-8 text. Convert it to UTF-8 and try again.`, 'document_encoding');
  }
  return { ref, text: text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n'), sha256: sha256(raw), format: 'jsonl' };
}

/** A .jsonl path relative to a root (or absolute inside one), after symlinks, a regular file. */
async function resolveJsonl(typed: string, roots: string[]): Promise<DocumentRef> {
  const realRoots: string[] = [];
  for (const root of roots) {
    const real = await realpath(path.resolve(root)).catch(() => undefined);
    if (real) realRoots.push(real);
  }
  const candidates = path.isAbsolute(typed) ? [typed] : realRoots.map((root) => path.resolve(root, typed));
  // "../x.jsonl" is refused from the text alone: nothing outside the roots is even looked at.
  const typedRoots = [...realRoots, ...roots.map((root) => path.resolve(root))];
  const outside = candidates.find((candidate) => isInsideRoots(candidate, typedRoots) === undefined);
  if (outside && candidates.every((candidate) => isInsideRoots(candidate, typedRoots) === undefined)) {
    throw new InputError(`${typed} resolves to ${outside}, which is outside the allowed roots (${roots.join(', ')}). Move it into one of them or add its folder to DISTILLERY_ROOTS.`, 'path_outside_roots');
  }
  for (const candidate of candidates) {
    if (isInsideRoots(candidate, typedRoots) === undefined) continue;
    const real = await realpath(candidate).catch(() => undefined);
    if (!real) continue;
    const root = isInsideRoots(real, realRoots);
    if (root === undefined) throw new InputError(`${typed} resolves to ${real}, which is outside the allowed roots (${roots.join(', ')}). Move it into one of them or add its folder to DISTILLERY_ROOTS.`, 'path_outside_roots');
    const stats = await stat(real);
    if (!stats.isFile()) throw new InputError(`${typed} is not a regular file. Name a .jsonl or .txt file of prompts.`, 'document_not_file');
    return { path: real, root, relative: path.relative(root, real), bytes: stats.size };
  }
  throw new InputError(`No prompts file ${typed} was found in ${realRoots.join(', ') || roots.join(', ')}. Give its path relative to one of these folders.`, 'document_not_found');
}

/** A prompts file read, parsed, de-duplicated and capped: used at start and again when the run first launches. */
export async function promptsFromFile(typed: string, roots: string[], maxBytes: number, samples: number | undefined) {
  const file = await readPromptsFile(typed, roots, maxBytes);
  const name = file.ref.relative.split(/[\\/]/).pop() ?? file.ref.relative;
  const parsed = parsePrompts(file.text, file.format, file.ref.relative);
  if (parsed.prompts.length === 0) throw new InputError(`${file.ref.relative} has no prompts (${parsed.blankLines} blank lines). Put one prompt a line (.txt) or one {"instruction": "..."} object a line (.jsonl).`, 'document_empty');
  return { ref: file.ref, name, sha256: file.sha256, format: file.format, loaded: selectPrompts(parsed.prompts, samples, parsed.blankLines) };
}

/** Prompts from file text; blank lines are skipped and counted, a malformed line is refused with its number. */
export function parsePrompts(text: string, format: PromptsFormat, name: string): { prompts: EnsemblePrompt[]; blankLines: number } {
  const prompts: EnsemblePrompt[] = [];
  let blankLines = 0;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) {
      blankLines++;
      continue;
    }
    if (format === 'txt') {
      prompts.push({ instruction: line, input: '', origin: { line: index + 1 } });
      continue;
    }
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new InputError(`${name} line ${index + 1} is not valid JSON. Each line must be one object such as {"instruction": "...", "input": ""}. Nothing was spent.`);
    }
    const { instruction, input } = (record ?? {}) as { instruction?: unknown; input?: unknown };
    if (typeof instruction !== 'string' || !instruction.trim() || (input !== undefined && input !== null && typeof input !== 'string')) {
      throw new InputError(`${name} line ${index + 1} needs a non-empty "instruction" string (and "input", if present, must be a string). Nothing was spent.`);
    }
    prompts.push({ instruction: instruction.trim(), input: typeof input === 'string' ? input.trim() : '', origin: { line: index + 1 } });
  }
  return { prompts, blankLines };
}

/** The approved samples' instructions of an earlier run: distill golden set, cascade train set, or an ensemble's consensus. */
export async function promptsFromRun(run: RunRecord, runDir: string, active: boolean): Promise<EnsemblePrompt[]> {
  if (active) throw new InputError(`Run ${run.id} is still running, so its samples are not final. Wait for it (run_status), then start the ensemble.`, 'run_active');
  const candidates = run.kind === 'distill' ? [distillFiles.golden] : run.kind === 'cascade' ? [cascadeFiles.train, cascadeFiles.golden, cascadeFiles.validated] : [ensembleFiles.consensus];
  const file = candidates.map((name) => path.join(runDir, name)).find((candidate) => existsSync(candidate));
  if (!file) throw new InputError(`Run ${run.id} (${run.kind}, ${run.status}) has no ${candidates.join(' or ')} yet, so it has no samples to take prompts from.`, 'run_no_samples');
  const samples = await readJsonlArray<{ id?: string; instruction?: unknown; input?: unknown; status?: string }>(file);
  const prompts: EnsemblePrompt[] = [];
  for (const sample of samples) {
    if (sample.status !== undefined && sample.status !== 'approved') continue;
    if (typeof sample.instruction !== 'string' || !sample.instruction.trim()) continue;
    prompts.push({ instruction: sample.instruction.trim(), input: typeof sample.input === 'string' ? sample.input : '', origin: { run: run.id, ...(sample.id ? { sample: sample.id } : {}) } });
  }
  if (prompts.length === 0) throw new InputError(`Run ${run.id} has no approved samples in ${path.basename(file)}, so there are no prompts to answer. Review it or pick another run.`, 'run_no_samples');
  return prompts;
}

/** Drops exact duplicates (after normalising case and punctuation), then caps at `samples`. */
export function selectPrompts(prompts: EnsemblePrompt[], samples: number | undefined, blankLines = 0): LoadedPrompts {
  const seen = new Set<string>();
  const unique: EnsemblePrompt[] = [];
  for (const prompt of prompts) {
    const key = normalizeText(`${prompt.instruction}\n${prompt.input}`);
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(prompt);
  }
  return { prompts: samples === undefined ? unique : unique.slice(0, samples), blankLines, duplicates: prompts.length - unique.length, available: unique.length };
}
