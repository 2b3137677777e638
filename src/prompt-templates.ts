/**
 * Prompt templates are files: prompts/<name>.md holds a system part and a user part separated
 * by a line `=== user ===`. A file of the same name under DISTILLERY_HOME/prompts overrides the
 * shipped one. The hash of the template text goes into every call key, so editing a prompt never
 * replays answers made for the old one.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from './util/hash.js';
import { InputError } from './errors.js';

export const shippedPromptsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'prompts');

export interface PromptTemplate {
  name: string;
  system: string;
  user: string;
  hash: string;
  source: string;
}

export interface RenderedPrompt {
  system: string;
  prompt: string;
  /** Hash of the template (not the values), part of the call key. */
  hash: string;
}

/** A template part split at its {{placeholders}} once: literal texts around the keys between them. */
interface Compiled {
  texts: string[];
  keys: string[];
}

function compile(text: string): Compiled {
  const pieces = text.split(/\{\{(\w+)\}\}/);
  return { texts: pieces.filter((_, index) => index % 2 === 0), keys: pieces.filter((_, index) => index % 2 === 1) };
}

export class PromptTemplates {
  private readonly cache = new Map<string, PromptTemplate>();
  private readonly compiled = new Map<string, { system: Compiled; user: Compiled }>();
  constructor(private readonly overrideDir?: string) {}

  template(name: string): PromptTemplate {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const candidates = [this.overrideDir && path.join(this.overrideDir, `${name}.md`), path.join(shippedPromptsDir, `${name}.md`)];
    const source = candidates.find((file): file is string => !!file && existsSync(file));
    if (!source) throw new InputError(`Prompt template "${name}" was not found in ${candidates.filter(Boolean).join(' or ')}.`);
    const text = readFileSync(source, 'utf8');
    const [system, user] = text.split(/^=== user ===\s*$/m);
    if (system === undefined || user === undefined) {
      throw new InputError(`Prompt template ${source} needs a line "=== user ===" between its system and user parts.`);
    }
    const template = { name, system: system.trim(), user: user.trim(), hash: sha256(text).slice(0, 12), source };
    this.cache.set(name, template);
    return template;
  }

  render(name: string, values: Record<string, string | number>): RenderedPrompt {
    const template = this.template(name);
    let parts = this.compiled.get(name);
    if (!parts) this.compiled.set(name, (parts = { system: compile(template.system), user: compile(template.user) }));
    const fill = ({ texts, keys }: Compiled) => {
      let text = texts[0]!;
      for (let index = 0; index < keys.length; index++) {
        const key = keys[index]!;
        if (!(key in values)) throw new InputError(`Prompt template ${template.source} uses {{${key}}}, which this stage does not provide.`);
        text += String(values[key]) + texts[index + 1]!;
      }
      return text;
    };
    return { system: fill(parts.system), prompt: fill(parts.user), hash: template.hash };
  }
}
