/**
 * Domain templates for the cascade: a topic tree, personas, task types, a difficulty mix, style and
 * safety notes. Shipped ones live in prompts/domains/*.json; a user's own in DISTILLERY_HOME/domains
 * (same name wins). Anything else that reads like a domain is free text, expanded by the first call.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { InputError } from '../../errors.js';
import { shippedPromptsDir } from '../../prompt-templates.js';

const text = (max: number) => z.string().trim().min(1).max(max);

/** Shares or weights of easy, medium and hard pairs; normalised to sum to one. */
export const difficultyMixSchema = z.object({ easy: z.number().min(0).max(100), medium: z.number().min(0).max(100), hard: z.number().min(0).max(100) });
export type DifficultyMix = z.infer<typeof difficultyMixSchema>;

/** What a template file holds (and what the expansion call writes, less `name`). */
export const domainBodySchema = z.object({
  title: text(120),
  description: z.string().max(1000),
  topics: z.array(z.object({ name: text(120), subtopics: z.array(text(160)).min(1).max(40) })).min(1).max(60),
  personas: z.array(text(200)).min(1).max(40),
  task_types: z.array(text(120)).min(1).max(40),
  difficulty_mix: difficultyMixSchema,
  style: z.string().max(2000),
  safety: z.string().max(2000),
});
export const domainTemplateSchema = domainBodySchema.extend({ name: z.string().max(80).optional() });
export type DomainTemplate = z.infer<typeof domainBodySchema> & { name: string };

export type DomainKind = 'template' | 'user_template' | 'free_text';
export interface ResolvedDomain {
  /** What the user asked for, trimmed. */
  input: string;
  kind: DomainKind;
  /** The template's name, or the free text itself. */
  name: string;
  /** Absent for free text until the run expands it. */
  template?: DomainTemplate;
  file?: string;
}

export const shippedDomainsDir = path.join(shippedPromptsDir, 'domains');
export const userDomainsDir = (home: string) => path.join(home, 'domains');

/** "Software Engineering", "software-engineering" and "software_engineering" name the same template. */
export function domainSlug(value: string): string {
  return value.trim().toLowerCase().replace(/[\s-]+/g, '_').replace(/[^a-z0-9_]/g, '');
}

/** Template names on offer, user templates first; a user file with a shipped name replaces it. */
export function listDomains(home: string): { name: string; kind: DomainKind; file: string }[] {
  const found = new Map<string, { name: string; kind: DomainKind; file: string }>();
  for (const [dir, kind] of [[userDomainsDir(home), 'user_template'], [shippedDomainsDir, 'template']] as const) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
      const name = domainSlug(entry.slice(0, -'.json'.length));
      if (!found.has(name)) found.set(name, { name, kind, file: path.join(dir, entry) });
    }
  }
  return [...found.values()];
}

export function loadDomainFile(file: string, name: string): DomainTemplate {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`The domain template ${file} is not valid JSON (${(error as Error).message}). Fix its syntax or remove the file.`, 'domain_invalid');
  }
  const parsed = domainTemplateSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new InputError(`The domain template ${file} does not match the template format (${issues}). Compare it with prompts/domains/general.json.`, 'domain_invalid');
  }
  return normalizeTemplate({ ...parsed.data, name });
}

/** Finds the template for `input`, or treats it as free text; refuses input that is neither. */
export function resolveDomain(input: string, home: string): ResolvedDomain {
  const trimmed = input.trim().replace(/\s+/g, ' ');
  const available = listDomains(home);
  const names = available.map((domain) => domain.name).join(', ');
  if (trimmed.length < 2 || trimmed.length > 200 || !/\p{L}/u.test(trimmed) || /[\p{Cc}]/u.test(input.replace(/[\n\t]/g, ' '))) {
    const shown = trimmed.length > 60 ? `${trimmed.slice(0, 60)}...` : trimmed;
    throw new InputError(
      `domain "${shown}" (${trimmed.length} characters) is not usable: give a template name (${names}) or a short description of 2-200 characters such as "veterinary dermatology".`,
      'domain_invalid',
    );
  }
  const match = available.find((domain) => domain.name === domainSlug(trimmed));
  if (match) return { input: trimmed, kind: match.kind, name: match.name, template: loadDomainFile(match.file, match.name), file: match.file };
  return { input: trimmed, kind: 'free_text', name: trimmed };
}

/** The template name within two edits of `input`, for a "did you mean" on a likely typo. */
export function closestDomain(input: string, home: string): string | undefined {
  const slug = domainSlug(input);
  let best: { name: string; distance: number } | undefined;
  for (const { name } of listDomains(home)) {
    const distance = editDistance(slug, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** Sensible bounds and a difficulty mix that sums to one, whatever a file or a model wrote. */
export function normalizeTemplate(template: DomainTemplate): DomainTemplate {
  const mix = template.difficulty_mix;
  const sum = mix.easy + mix.medium + mix.hard;
  const difficulty_mix = sum > 0 ? { easy: mix.easy / sum, medium: mix.medium / sum, hard: mix.hard / sum } : { easy: 0.3, medium: 0.45, hard: 0.25 };
  const unique = (values: string[]) => [...new Set(values.map((value) => value.trim()).filter(Boolean))];
  const topics = template.topics.map((topic) => ({ name: topic.name.trim(), subtopics: unique(topic.subtopics) })).filter((topic) => topic.subtopics.length > 0);
  return { ...template, topics, personas: unique(template.personas), task_types: unique(template.task_types), difficulty_mix };
}

/**
 * A stand-in tree for estimating a free-text domain before it is expanded: the size a typical
 * expansion has (8 topics of 5 subtopics), with the general template's personas and task types.
 */
export function provisionalTemplate(description: string, home: string): DomainTemplate {
  const general = resolveDomain('general', home).template!;
  return {
    ...general,
    name: description,
    title: description,
    description: `Free-text domain: ${description}`,
    topics: Array.from({ length: 8 }, (_, t) => ({ name: `${description} topic ${t + 1}`, subtopics: Array.from({ length: 5 }, (_, s) => `${description} subtopic ${t + 1}.${s + 1}`) })),
  };
}

export function subtopicCount(template: DomainTemplate): number {
  return template.topics.reduce((sum, topic) => sum + topic.subtopics.length, 0);
}
