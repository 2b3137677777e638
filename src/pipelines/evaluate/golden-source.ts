/**
 * The golden questions an evaluation asks: a run's golden set, or the golden file of an export
 * folder (any export format: canonical, Alpaca, ShareGPT or OpenAI rows), read inside the allowed
 * folders only.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { isInsideRoots } from '../../files/documents.js';
import type { RunRecord } from '../../store/catalog.js';
import { readJsonlArray } from '../../store/jsonl.js';
import { runFilePath, runFiles, runFilesFor } from '../run-files.js';
import type { EvaluateParams, GoldenQuestion } from './params.js';

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** One golden row of any export format as a question with its reference; undefined when unusable. */
export function readGoldenRow(raw: unknown, fallbackId: string): GoldenQuestion | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const row = raw as Record<string, unknown>;
  let instruction = text(row.instruction);
  let input = text(row.input);
  let reference = text(row.output);
  const turns = (Array.isArray(row.messages) ? row.messages : Array.isArray(row.conversations) ? row.conversations : undefined) as Record<string, unknown>[] | undefined;
  if (turns) {
    const said = (roles: string[]) => turns.find((turn) => roles.includes(text(turn.role ?? turn.from)));
    instruction = text(said(['user', 'human'])?.content ?? said(['user', 'human'])?.value);
    reference = text(said(['assistant', 'gpt'])?.content ?? said(['assistant', 'gpt'])?.value);
    input = '';
  }
  // An answer exported with its reasoning keeps only the answer as the reference.
  reference = reference.replace(/^<think>[\s\S]*?<\/think>\s*/, '');
  if (!instruction.trim() || !reference.trim()) return undefined;
  if (row.status !== undefined && row.status !== 'approved') return undefined;
  return { id: text(row.id) || fallbackId, instruction, input, reference, difficulty: text(row.difficulty) || 'unknown', topic: text(row.topic) || 'unknown' };
}

async function readQuestions(file: string, label: string): Promise<GoldenQuestion[]> {
  const rows = await readJsonlArray<unknown>(file);
  const questions = rows.map((row, index) => readGoldenRow(row, `${label}-${index + 1}`)).filter((question) => question !== undefined);
  if (questions.length === 0) throw new InputError(`${file} holds no usable golden question (an instruction with a reference answer). Pass a run or export with a golden set.`, 'evaluate_no_golden');
  return questions;
}

/** A run's golden set; warns when it is not held out from training (a distillation's approved output). */
export async function goldenOfRun(runDir: string, run: RunRecord, warnings: string[]): Promise<{ file: string; questions: GoldenQuestion[] }> {
  const file = runFilePath(runDir, run.kind, 'golden');
  if (!file || run.kind === 'evaluate') {
    throw new InputError(`Run ${run.id} is a ${run.kind} run, which keeps no golden set. Pass a cascade run (its golden_test_set.jsonl is held out from training) or path of an export with a golden file.`, 'evaluate_no_golden');
  }
  if (!runFilesFor(run.kind).goldenHeldOut) warnings.push(`Run ${run.id}'s golden_dataset.jsonl is its approved output, which a train export holds too: a model trained on it is graded on what it trained on. A cascade run's golden set is held out.`);
  const exists = await stat(file).then(() => true, () => false);
  if (!exists) throw new InputError(`Run ${run.id} has no ${path.basename(file)} yet (status ${run.status}). Wait for it to finish, or pass another run.`, 'evaluate_no_golden');
  return { file, questions: await readQuestions(file, run.id) };
}

/** The golden file of an export folder (from its export.json) or a .jsonl file, inside the allowed folders. */
export async function goldenOfPath(requested: string, roots: readonly string[], home: string): Promise<{ file: string; runIds: string[]; questions: GoldenQuestion[] }> {
  const exportsDir = path.join(home, 'exports');
  const resolved = path.resolve(roots[0] ?? exportsDir, requested);
  const real = await realpath(resolved).catch(() => undefined);
  if (!real) throw new InputError(`${requested} does not exist. Pass the folder of an export (export_dataset reports it) or its golden .jsonl file.`, 'path_not_found');
  const allowed = await Promise.all([exportsDir, ...roots].map((root) => realpath(root).catch(() => path.resolve(root))));
  if (isInsideRoots(real, allowed) === undefined) throw new InputError(`${requested} is outside the folders Distillery may read (${allowed.join(', ')}). Pass an export inside them.`, 'path_outside_roots');
  let file = real;
  if ((await stat(real)).isDirectory()) {
    const manifest = await readFile(path.join(real, 'export.json'), 'utf8').then((body) => JSON.parse(body) as { files?: { name: string; role: string }[]; run_ids?: string[] }, () => undefined);
    const golden = manifest?.files?.find((entry) => entry.role === 'golden')?.name;
    if (!golden) throw new InputError(`${requested} holds no golden file: export the run with split all or golden first, or pass the .jsonl file itself.`, 'evaluate_no_golden');
    file = path.join(real, golden);
    const runIds = manifest?.run_ids ?? [];
    return { file, runIds, questions: await withRunLabels(await readQuestions(file, path.basename(file, '.jsonl')), runIds, home) };
  }
  return { file, runIds: [], questions: await readQuestions(file, path.basename(file, '.jsonl')) };
}

/** The questions of a started evaluation's source, read as at its start. */
export async function readSource(source: EvaluateParams['source'], home: string): Promise<GoldenQuestion[]> {
  if (source.kind === 'run') return readQuestions(source.file, source.run_id);
  return withRunLabels(await readQuestions(source.file, path.basename(source.file, '.jsonl')), source.run_ids, home);
}

/** The question as a chat row holds it: the input after the instruction. */
const asked = (question: Pick<GoldenQuestion, 'instruction' | 'input'>) => (question.input.trim() ? `${question.instruction}\n\n${question.input}` : question.instruction).trim();

/**
 * Trainer formats drop difficulty and topic; the export's runs still have them in their golden
 * files, so questions are matched back to them by their text for the report's breakdowns.
 */
async function withRunLabels(questions: GoldenQuestion[], runIds: string[], home: string): Promise<GoldenQuestion[]> {
  if (!questions.some((question) => question.difficulty === 'unknown')) return questions;
  const labels = new Map<string, Pick<GoldenQuestion, 'difficulty' | 'topic'>>();
  const goldenNames = new Set(Object.values(runFiles).map((files) => files.golden).filter((name) => name !== undefined));
  for (const runId of runIds.filter((id) => /^[\w.-]+$/.test(id))) {
    for (const name of goldenNames) {
      for (const row of await readJsonlArray<unknown>(path.join(home, 'runs', runId, name))) {
        const question = readGoldenRow(row, '');
        if (question) labels.set(asked(question), { difficulty: question.difficulty, topic: question.topic });
      }
    }
  }
  return questions.map((question) => (question.difficulty === 'unknown' ? { ...question, ...labels.get(asked(question)) } : question));
}
