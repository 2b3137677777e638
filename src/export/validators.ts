/**
 * Every written file is read back and checked against its consumer's rules before an export is
 * reported: JSONL with one object per line (never an array), non-empty fields, turns in order
 * (user at odd positions, assistant at even), tags and columns as dataset_info.json declares them.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { DistilleryError } from '../errors.js';
import { sharegptDefaultTags, type DatasetInfoEntry } from './dataset-info.js';

/** Returns what is wrong with a row, or undefined when it is fine. */
export type RowCheck = (row: Record<string, unknown>) => string | undefined;

const filled = (value: unknown) => typeof value === 'string' && value.trim() !== '';

/** The row check LLaMA-Factory's converters imply for an entry (AlpacaDatasetConverter / SharegptDatasetConverter). */
export function entryRowCheck(entry: DatasetInfoEntry): RowCheck {
  const columns = entry.columns;
  const systemColumn = columns.system;
  const checkSystem = (row: Record<string, unknown>) => (systemColumn && typeof row[systemColumn] !== 'string' ? `column "${systemColumn}" (system) is missing` : undefined);
  if (entry.formatting === 'sharegpt') {
    const tags = { ...sharegptDefaultTags, ...entry.tags };
    const messagesColumn = columns.messages ?? 'conversations';
    return (row) => checkSystem(row) ?? checkTurns(row[messagesColumn], tags, messagesColumn);
  }
  return (row) => {
    const problem = checkSystem(row);
    if (problem) return problem;
    if (!filled(row[columns.prompt!])) return `"${columns.prompt}" (prompt) is empty or missing`;
    if (columns.query && typeof row[columns.query] !== 'string') return `"${columns.query}" (query) is missing; it may be empty but must be a string`;
    if (entry.ranking) {
      if (!filled(row[columns.chosen!]) || !filled(row[columns.rejected!])) return `"${columns.chosen}" or "${columns.rejected}" is empty or missing`;
      if (row[columns.chosen!] === row[columns.rejected!]) return 'chosen and rejected are the same text';
      return undefined;
    }
    return filled(row[columns.response!]) ? undefined : `"${columns.response}" (response) is empty or missing`;
  };
}

type Tags = { role_tag: string; content_tag: string; user_tag: string; assistant_tag: string; system_tag?: string };

function checkTurns(messages: unknown, tags: Tags, column: string): string | undefined {
  if (!Array.isArray(messages)) return `"${column}" is not a list of turns`;
  let turns = messages as Record<string, unknown>[];
  if (tags.system_tag && turns[0]?.[tags.role_tag] === tags.system_tag) {
    if (!filled(turns[0]![tags.content_tag])) return 'the system turn is empty';
    turns = turns.slice(1);
  }
  if (turns.length < 2 || turns.length % 2 !== 0) return `${turns.length} turns after the system turn; a conversation needs user/assistant pairs`;
  for (const [index, turn] of turns.entries()) {
    const expected = index % 2 === 0 ? tags.user_tag : tags.assistant_tag;
    if (typeof turn !== 'object' || turn === null) return `turn ${index + 1} is not an object`;
    if (turn[tags.role_tag] !== expected) return `turn ${index + 1} has ${tags.role_tag} "${String(turn[tags.role_tag])}" where "${expected}" belongs (${tags.user_tag} at odd positions, ${tags.assistant_tag} at even)`;
    if (!filled(turn[tags.content_tag])) return `turn ${index + 1} has an empty "${tags.content_tag}"`;
  }
  return undefined;
}

/** OpenAI chat fine-tuning: {messages: [system?, user, assistant, ...]} and nothing else. */
export const openaiRowCheck: RowCheck = (row) => {
  const keys = Object.keys(row);
  if (keys.length !== 1 || keys[0] !== 'messages') return `top-level keys are ${JSON.stringify(keys)}; only "messages" belongs`;
  return checkTurns(row.messages, { role_tag: 'role', content_tag: 'content', user_tag: 'user', assistant_tag: 'assistant', system_tag: 'system' }, 'messages');
};

/** OpenAI preference fine-tuning: {input: {messages: [system?, user, ...]}, preferred_output: [assistant], non_preferred_output: [assistant]}. */
export const openaiDpoRowCheck: RowCheck = (row) => {
  const keys = Object.keys(row).sort();
  if (keys.join() !== 'input,non_preferred_output,preferred_output') return `top-level keys are ${JSON.stringify(keys)}; only "input", "preferred_output" and "non_preferred_output" belong`;
  const input = row.input as Record<string, unknown> | null;
  const messages = typeof input === 'object' && input !== null ? input.messages : undefined;
  if (!Array.isArray(messages) || messages.length === 0) return 'input.messages is not a non-empty list';
  const last = messages[messages.length - 1] as Record<string, unknown>;
  if (last?.role !== 'user' || !filled(last.content)) return 'input.messages must end with a non-empty user message';
  const single = (value: unknown, name: string) => {
    const turns = value as Record<string, unknown>[];
    if (!Array.isArray(turns) || turns.length !== 1) return `${name} must hold exactly one message`;
    return turns[0]?.role === 'assistant' && filled(turns[0]?.content) ? undefined : `${name} must be one non-empty assistant message`;
  };
  const problem = single(row.preferred_output, 'preferred_output') ?? single(row.non_preferred_output, 'non_preferred_output');
  if (problem) return problem;
  return (row.preferred_output as { content: string }[])[0]!.content === (row.non_preferred_output as { content: string }[])[0]!.content ? 'the preferred and non-preferred answers are the same text' : undefined;
};

export const canonicalRowCheck: RowCheck = (row) => {
  if (!filled(row.id)) return 'id is empty or missing';
  if (!filled(row.instruction)) return 'instruction is empty or missing';
  if (!filled(row.output)) return 'output is empty or missing';
  if (typeof row.status !== 'string') return 'status is missing';
  return undefined;
};

export const canonicalPreferenceCheck: RowCheck = (row) =>
  !filled(row.instruction) ? 'instruction is empty or missing' : !filled(row.chosen) || !filled(row.rejected) ? 'chosen or rejected is empty or missing' : row.chosen === row.rejected ? 'chosen and rejected are the same text' : undefined;

export interface CheckedFile {
  rows: number;
  bytes: number;
  sha256: string;
}

export class ExportCheckError extends DistilleryError {
  constructor(message: string) {
    super('export_check_failed', message);
  }
}

/** Reads a JSONL file back, checking every line; returns its row count, size and sha256. */
export async function checkJsonlFile(file: string, check: RowCheck, expectedRows: number, rules: string): Promise<CheckedFile> {
  const hash = createHash('sha256');
  const problems: string[] = [];
  let rows = 0;
  let bytes = 0;
  let line = 0;
  const checkLine = (text: string) => {
    line++;
    if (problems.length >= 3) return;
    if (text.trim() === '') return void problems.push(`line ${line} is blank`);
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch {
      return void problems.push(`line ${line} is not valid JSON`);
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) return void problems.push(`line ${line} is ${Array.isArray(row) ? 'a JSON array' : 'not a JSON object'}; JSONL needs one object per line`);
    rows++;
    const problem = check(row as Record<string, unknown>);
    if (problem) problems.push(`line ${line}: ${problem}`);
  };
  const handle = await open(file, 'r');
  let carry = Buffer.alloc(0);
  try {
    const chunk = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, bytes);
      if (bytesRead === 0) break;
      hash.update(chunk.subarray(0, bytesRead));
      bytes += bytesRead;
      // Split on the last newline in bytes, so a multi-byte character is never cut in two.
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      const end = data.lastIndexOf(0x0a) + 1;
      const text = data.toString('utf8', 0, end);
      carry = Buffer.from(data.subarray(end));
      let start = 0;
      let newline: number;
      while ((newline = text.indexOf('\n', start)) >= 0) {
        checkLine(text.slice(start, newline));
        start = newline + 1;
      }
    }
  } finally {
    await handle.close();
  }
  if (carry.length > 0) problems.push('the last line does not end with a newline');
  if (problems.length === 0 && rows !== expectedRows) problems.push(`${rows} rows were read back but ${expectedRows} were written`);
  if (problems.length > 0) {
    throw new ExportCheckError(
      `${path.basename(file).replace(/^\.(.*)\.\d+\.\w+\.tmp$/, '$1')} breaks ${rules}: ${problems.join('; ')}. Nothing was exported (the temporary files were removed). The exporter should have skipped or fixed such a row: please report this with the run id.`,
    );
  }
  return { rows, bytes, sha256: hash.digest('hex') };
}

/**
 * The check of a file whose rows were checked as they were serialized (ExportFileWriter with a
 * RowCheck): reports those problems, then reads the file back and confirms it holds exactly the
 * bytes written (size, line count, sha256) without parsing it again.
 */
export async function checkWrittenFile(file: string, written: CheckedFile, rowProblems: readonly string[], rules: string): Promise<CheckedFile> {
  const name = path.basename(file).replace(/^\.(.*)\.\d+\.\w+\.tmp$/, '$1');
  if (rowProblems.length > 0) {
    throw new ExportCheckError(`${name} breaks ${rules}: ${rowProblems.join('; ')}. Nothing was exported (the temporary files were removed). The exporter should have skipped or fixed such a row: please report this with the run id.`);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  let lines = 0;
  let last = 0x0a;
  const handle = await open(file, 'r');
  // The next read goes on while this chunk is hashed: two buffers take turns.
  const buffers = [Buffer.allocUnsafe(4 * 1024 * 1024), Buffer.allocUnsafe(4 * 1024 * 1024)];
  const readAt = (buffer: Buffer, position: number) =>
    handle.read(buffer, 0, buffer.length, position).then(
      ({ bytesRead }) => ({ bytesRead }),
      (error: unknown) => ({ bytesRead: 0, error }), // caught at once: raised when its turn comes
    );
  let next = readAt(buffers[0]!, 0);
  try {
    for (let turn = 0; ; turn++) {
      const read = await next;
      if ('error' in read) throw read.error;
      const { bytesRead } = read;
      if (bytesRead === 0) break;
      next = readAt(buffers[(turn + 1) % 2]!, bytes + bytesRead);
      const data = buffers[turn % 2]!.subarray(0, bytesRead);
      hash.update(data);
      bytes += bytesRead;
      for (let at = data.indexOf(0x0a); at >= 0; at = data.indexOf(0x0a, at + 1)) lines++;
      last = data[bytesRead - 1]!;
    }
  } finally {
    await next;
    await handle.close();
  }
  const sha256 = hash.digest('hex');
  if (bytes !== written.bytes || lines !== written.rows || sha256 !== written.sha256 || last !== 0x0a) {
    throw new ExportCheckError(
      `${name} did not read back as written: ${lines} lines and ${bytes} bytes on disk where ${written.rows} rows and ${written.bytes} bytes were written${sha256 !== written.sha256 ? ', and its sha256 differs' : ''}. Nothing was exported (the temporary files were removed); check the disk, then export again.`,
    );
  }
  return { rows: lines, bytes, sha256 };
}
