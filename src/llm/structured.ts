/**
 * Tolerant parsing of model answers into zod-validated values, and the JSON schemas and prompt text
 * that ask for them. Parsing never throws: every failure comes back with a reason and a short detail.
 */
import { jsonrepair } from 'jsonrepair';
import { z } from 'zod';

export type ParseOutcome<T> =
  | { ok: true; value: T; repaired: boolean }
  | { ok: false; reason: 'blank' | 'malformed_json' | 'schema_mismatch'; detail: string };

/** One way to read the answer: a parsed value, whether jsonrepair had to fix it, and how much text it came from. */
interface Candidate {
  value: unknown;
  repaired: boolean;
  length: number;
}

const openers: Record<string, string> = { '{': '}', '[': ']' };
const maxSegments = 20;

/** The next non-blank character at or after `from`, or '' at the end. */
function nextVisible(text: string, from: number): string {
  for (let index = from; index < text.length; index++) if (!/\s/.test(text[index]!)) return text[index]!;
  return '';
}

/** A quote opens a string only in a value or key position, so apostrophes in prose are not strings. */
function opensString(text: string, index: number): boolean {
  if (text[index] === '"') return true;
  for (let back = index - 1; back >= 0; back--) {
    if (!/\s/.test(text[back]!)) return '{[,:'.includes(text[back]!);
  }
  return false;
}

/** Index of the bracket closing the one at `start` (string-aware), or -1 when the text ends first. */
function matchingClose(text: string, start: number): number {
  const expected: string[] = [];
  let quote = '';
  for (let index = start; index < text.length; index++) {
    const char = text[index]!;
    if (quote) {
      if (char === '\\') index++;
      else if (char === quote && (quote === '"' || ',:}]'.includes(nextVisible(text, index + 1)))) quote = '';
    } else if ((char === '"' || char === "'") && opensString(text, index)) {
      quote = char;
    } else if (openers[char]) {
      expected.push(openers[char]);
    } else if (char === '}' || char === ']') {
      // A mismatched closer still closes the innermost bracket: the repair step sorts out the rest.
      expected.pop();
      if (expected.length === 0) return index;
    }
  }
  return -1;
}

interface Segment {
  text: string;
  closed: boolean;
}

/** Every top-level JSON-looking span in `text`, in order; an unclosed span runs to the end. */
function findJsonSegments(text: string): Segment[] {
  const segments: Segment[] = [];
  let from = 0;
  while (segments.length < maxSegments) {
    const start = text.slice(from).search(/[{[]/);
    if (start < 0) break;
    const absolute = from + start;
    const end = matchingClose(text, absolute);
    // An unclosed span may be prose like "[1" before the real JSON, so keep looking inside it too.
    segments.push({ text: end < 0 ? text.slice(absolute) : text.slice(absolute, end + 1), closed: end >= 0 });
    from = end < 0 ? absolute + 1 : end + 1;
  }
  return segments;
}

const maxDetailLength = 300;

function clip(text: string, length = maxDetailLength): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 3)}...` : flat;
}

/** Removes reasoning blocks: closed ones anywhere, a dangling `</think>` and an unclosed leading `<think>`. */
function stripThinking(text: string): string {
  let result = text.replace(/<think(?:ing)?>[\s\S]*?<\/think(?:ing)?>/gi, '');
  const danglingClose = result.search(/<\/think(?:ing)?>/i);
  if (danglingClose >= 0) result = result.slice(result.indexOf('>', danglingClose) + 1);
  // An unclosed leading block was cut off mid-thought: keep what follows the tag and let the scan find JSON in it.
  return result.replace(/^\s*<think(?:ing)?>/i, '').trim();
}

/** Unwraps one code fence around the whole answer, including an opening fence whose end was cut off. */
function stripFence(text: string): string {
  const match = /^```[\w-]*[^\S\n]*\n?([\s\S]*?)(?:\n?```\s*)?$/.exec(text);
  return match?.[1] !== undefined ? match[1].trim() : text;
}

function parseJson(text: string): Candidate | { error: string } {
  try {
    return { value: JSON.parse(text) as unknown, repaired: false, length: text.length };
  } catch (error) {
    try {
      return { value: JSON.parse(jsonrepair(text)) as unknown, repaired: true, length: text.length };
    } catch {
      return { error: (error as Error).message };
    }
  }
}

function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  const more = error.issues.length > 5 ? `; and ${error.issues.length - 5} more` : '';
  return clip(issues.join('; ') + more, 600);
}

const isStructure = (value: unknown): value is object => value !== null && typeof value === 'object';

function collectCandidates(text: string): { candidates: Candidate[]; parseError?: string } {
  const strict = parseJson(text);
  // Clean JSON as a whole wins outright; anything else is searched for embedded JSON.
  if ('value' in strict && !strict.repaired) return { candidates: [strict] };
  const candidates: Candidate[] = [];
  const objectsInARow: Candidate[] = [];
  let parseError = 'error' in strict ? strict.error : undefined;
  for (const segment of findJsonSegments(text)) {
    const parsed = parseJson(segment.text);
    if (!('value' in parsed)) {
      parseError ??= parsed.error;
      continue;
    }
    candidates.push(parsed);
    if (segment.closed && isStructure(parsed.value) && !Array.isArray(parsed.value)) objectsInARow.push(parsed);
  }
  // Several objects in a row may be the items of an expected array; tried last, never the reported mismatch.
  if (objectsInARow.length > 1) {
    candidates.push({ value: objectsInARow.map((c) => c.value), repaired: objectsInARow.some((c) => c.repaired), length: 0 });
  }
  if (candidates.length === 0 && 'value' in strict && isStructure(strict.value)) candidates.push(strict);
  return { candidates, parseError };
}

/**
 * Reads a model's answer as `schema`. Tolerates think blocks, code fences, prose around the JSON,
 * trailing commas, single quotes, Python None/True/False, comments and several objects in a row.
 * `repaired` is true when jsonrepair had to fix the syntax. A truncated answer that jsonrepair closes
 * may still validate (e.g. an array of pairs cut between two items): callers must check the
 * provider's finish reason and regenerate truncated answers rather than rely on this function.
 */
export function parseStructured<T>(text: string, schema: z.ZodType<T>): ParseOutcome<T> {
  try {
    if (typeof text !== 'string' || text.trim() === '') return { ok: false, reason: 'blank', detail: 'the answer was empty' };
    const body = stripFence(stripThinking(text.trim()));
    if (body === '') return { ok: false, reason: 'blank', detail: 'the answer held no JSON, only a reasoning block or an empty code fence' };
    const { candidates, parseError } = collectCandidates(body);
    if (candidates.length === 0) {
      return { ok: false, reason: 'malformed_json', detail: clip(`no JSON object could be read (${parseError ?? 'no { or [ found'})`) };
    }
    // Report the mismatch of the largest candidate: that is the JSON the model meant to send.
    let mismatch: { error: z.ZodError; length: number } | undefined;
    for (const candidate of candidates) {
      const result = schema.safeParse(candidate.value);
      if (result.success) return { ok: true, value: result.data, repaired: candidate.repaired };
      if (!mismatch || candidate.length > mismatch.length) mismatch = { error: result.error, length: candidate.length };
    }
    return { ok: false, reason: 'schema_mismatch', detail: mismatch ? describeIssues(mismatch.error) : 'the JSON did not match the schema' };
  } catch (error) {
    return { ok: false, reason: 'schema_mismatch', detail: clip(`validation failed: ${(error as Error).message}`) };
  }
}

type JsonSchema = Record<string, unknown>;

// Formats both OpenAI strict mode and Anthropic structured outputs accept.
const portableFormats = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

const mapKeywords = new Set(['properties', '$defs', 'patternProperties']);
const schemaKeywords = new Set(['items', 'additionalProperties', 'not', 'anyOf', 'oneOf', 'allOf', 'prefixItems']);

/** Drops what only restates the type: z.int()'s safe-integer bounds and the pattern zod adds beside a format. */
function tidy(input: unknown): unknown {
  if (!isStructure(input) || Array.isArray(input)) return input;
  const node: JsonSchema = {};
  for (const [key, value] of Object.entries(input)) {
    if ((key === 'minimum' && value === Number.MIN_SAFE_INTEGER) || (key === 'maximum' && value === Number.MAX_SAFE_INTEGER)) continue;
    if (key === 'pattern' && 'format' in input) continue;
    if (mapKeywords.has(key) && isStructure(value)) {
      node[key] = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, tidy(child)]));
    } else if (schemaKeywords.has(key)) {
      node[key] = Array.isArray(value) ? value.map(tidy) : tidy(value);
    } else {
      node[key] = value;
    }
  }
  return node;
}

function plainJsonSchema(schema: z.ZodType): JsonSchema {
  // The model writes the schema's input (before defaults and transforms), so describe that side.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return tidy(rest) as JsonSchema;
}

const isSchemaObject = (value: unknown): value is JsonSchema => isStructure(value) && !Array.isArray(value);

function hasType(node: JsonSchema, type: string): boolean {
  return node.type === type || (Array.isArray(node.type) && node.type.includes(type));
}

/** Rewrites one node to the keywords both providers enforce; the rest moves into its description for the model to read. */
function toPortable(input: unknown): unknown {
  if (!isSchemaObject(input)) return input;
  const node: JsonSchema = { ...input };
  const out: JsonSchema = {};
  const take = (key: string): unknown => {
    const value = node[key];
    delete node[key];
    return value;
  };
  for (const key of ['$schema', '$id']) take(key);
  const defs = take('$defs');
  if (isSchemaObject(defs)) out.$defs = Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, toPortable(def)]));
  for (const key of ['$ref', 'type', 'enum', 'const', 'title', 'description']) if (node[key] !== undefined) out[key] = take(key);
  const variants = take('anyOf') ?? take('oneOf');
  if (Array.isArray(variants)) out.anyOf = variants.map(toPortable);
  const allOf = take('allOf');
  if (Array.isArray(allOf)) out.allOf = allOf.map(toPortable);
  if (hasType(out, 'object') || isSchemaObject(node.properties)) {
    const properties = isSchemaObject(node.properties) ? node.properties : {};
    take('properties');
    take('required');
    if (node.additionalProperties === false || node.additionalProperties === undefined) take('additionalProperties');
    out.properties = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, toPortable(property)]));
    // OpenAI strict mode: every property is required and no others are allowed.
    out.required = Object.keys(properties);
    out.additionalProperties = false;
  }
  if (hasType(out, 'string') && typeof node.format === 'string' && portableFormats.has(node.format)) {
    out.format = take('format');
  }
  if (hasType(out, 'array') && node.items !== undefined) out.items = toPortable(take('items'));
  if (hasType(out, 'array') && (node.minItems === 0 || node.minItems === 1)) out.minItems = take('minItems');
  const leftovers = Object.entries(node).filter(([, value]) => value !== undefined);
  if (leftovers.length > 0) {
    const constraints = `{${leftovers.map(([key, value]) => `${key}: ${JSON.stringify(value)}`).join(', ')}}`;
    out.description = typeof out.description === 'string' ? `${out.description}\n\n${constraints}` : constraints;
  }
  return out;
}

/**
 * A JSON schema both OpenAI strict json_schema and Anthropic output_config accept: every object
 * closed (`additionalProperties: false`) with all its properties required, and only portable
 * keywords; other constraints (lengths, numeric bounds, patterns, minItems above 1) are written into
 * the description and still enforced by zod when parsing. Because every property becomes required,
 * declare fields the model may leave out with `.nullable()`, not `.optional()`: an optional field is
 * always asked for. The root should be an object (OpenAI refuses other roots); records and tuples
 * cannot be expressed in strict mode.
 */
// Schemas are module constants, so their JSON forms are computed once (they cost ~0.4 ms a call).
const portableSchemas = new WeakMap<z.ZodType, Record<string, unknown>>();
const instructions = new WeakMap<z.ZodType, string>();

export function jsonSchemaFor(schema: z.ZodType): Record<string, unknown> {
  let portable = portableSchemas.get(schema);
  if (!portable) {
    portable = toPortable(plainJsonSchema(schema)) as Record<string, unknown>;
    portableSchemas.set(schema, portable);
  }
  return portable;
}

/** Prompt text for providers that only have a JSON mode (DeepSeek): the schema, compact, and what to send. */
export function schemaInstruction(schema: z.ZodType): string {
  let instruction = instructions.get(schema);
  if (!instruction) {
    instruction =
      'Answer with exactly one JSON object that matches this JSON schema, with no prose, code fences or comments around it.\n' +
      `JSON schema: ${JSON.stringify(plainJsonSchema(schema))}`;
    instructions.set(schema, instruction);
  }
  return instruction;
}

const reasonText: Record<string, string> = {
  blank: 'was empty',
  malformed_json: 'was not valid JSON',
  schema_mismatch: 'did not match the required JSON schema',
  truncated: 'was cut off before it ended',
};

/** The one follow-up message sent after an unusable answer: what was wrong, briefly, and what to send instead. */
export function reaskMessage(outcome: { reason: string; detail: string }): string {
  const what = reasonText[outcome.reason] ?? 'could not be used';
  const detail = outcome.detail && outcome.reason !== 'blank' ? ` (${clip(outcome.detail, 400)})` : '';
  return (
    `Your previous answer ${what}${detail}. ` +
    'Answer again with exactly one JSON object that matches the schema: no prose, no code fences, no comments.'
  );
}
