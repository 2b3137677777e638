/** The ensemble's teachers: "provider/model" names, checked against the config and price table. */
import { InputError } from '../../errors.js';
import type { ModelTarget } from '../../llm/types.js';
import type { Services } from '../../services.js';
import type { RunRecord } from '../../store/catalog.js';

export function parseTeacher(name: string): ModelTarget {
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) {
    throw new InputError(`Teacher "${name}" must be written provider/model, for example deepseek/deepseek-v4-flash.`);
  }
  return { provider: name.slice(0, slash).trim(), model: name.slice(slash + 1).trim() };
}

export function teacherName(target: ModelTarget): string {
  return `${target.provider}/${target.model}`;
}

/**
 * The teachers to use: the given list, or the configured generate, format and validate models (by
 * default one DeepSeek, one OpenAI and one Anthropic model). Each must be configured and priced.
 */
export function resolveTeachers(services: Services, requested?: string[]): string[] {
  const { stages, providers } = services.config;
  const names = requested ?? [stages.generate, stages.format, stages.validate].map((stage) => `${stage.provider}/${stage.model}`);
  const unique = [...new Set(names.map((name) => teacherName(parseTeacher(name.trim()))))];
  if (unique.length < 2) {
    throw new InputError(
      requested
        ? `An ensemble needs at least two different teachers; got ${unique.join(', ') || 'none'}. Pass two or more provider/model names in teachers.`
        : `The configured generate, format and validate stages all use ${unique[0]}, so there is only one teacher. Pass teachers: two or more provider/model names.`,
    );
  }
  for (const name of unique) {
    const target = parseTeacher(name);
    if (!providers[target.provider]) {
      throw new InputError(`Teacher ${name}: provider "${target.provider}" is not configured (configured: ${Object.keys(providers).join(', ')}). Add it under "providers" in the config file or pick a configured one.`);
    }
    services.llm.resolve('generate', target); // throws PriceMissingError for an unpriced model
  }
  return unique;
}

/**
 * resume_run's drop_teachers: the run's teachers without the dropped ones (matched by
 * provider/model or by provider name), at least two left.
 */
export function ensembleResumeOverrides(run: RunRecord, drop: string[]): Record<string, unknown> {
  if (run.kind !== 'ensemble') throw new InputError(`drop_teachers applies to ensemble runs; run ${run.id} is a ${run.kind} run.`);
  const current = Array.isArray(run.params.teachers) ? (run.params.teachers as string[]) : [];
  const dropped = current.filter((teacher) => drop.some((name) => name.trim() === teacher || name.trim() === parseTeacher(teacher).provider));
  const unmatched = drop.filter((name) => !current.some((teacher) => name.trim() === teacher || name.trim() === parseTeacher(teacher).provider));
  if (unmatched.length) throw new InputError(`Run ${run.id} has no teacher ${unmatched.join(', ')}; its teachers are ${current.join(', ')}.`);
  const remaining = current.filter((teacher) => !dropped.includes(teacher));
  if (remaining.length < 2) {
    throw new InputError(`Dropping ${dropped.join(', ')} would leave ${remaining.length} teacher${remaining.length === 1 ? '' : 's'} (${remaining.join(', ') || 'none'}); an ensemble needs two. Fix the provider (top up, check the model) and resume without drop_teachers.`);
  }
  const before = Array.isArray(run.params.dropped_teachers) ? (run.params.dropped_teachers as string[]) : [];
  return { teachers: remaining, dropped_teachers: [...before, ...dropped] };
}
