/**
 * Where an export may be written: DISTILLERY_HOME/exports/<name>/ by default, or a folder inside the
 * allowed roots or DISTILLERY_HOME/exports, never a run's folder or the catalog. The path is checked
 * after symlinks are resolved (the nearest existing ancestor's realpath), and refused before
 * anything is created.
 */
import { mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { isInsideRoots } from '../files/documents.js';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$/;

export function checkExportName(name: string): string {
  if (!namePattern.test(name) || name.includes('..')) {
    throw new InputError(`"${name}" cannot be an export name: use 1-120 letters, digits, dots, dashes or underscores, starting with a letter or digit.`, 'export_name_invalid');
  }
  return name;
}

async function realOrUndefined(file: string): Promise<string | undefined> {
  return realpath(file).catch(() => undefined);
}

/** The real path `requested` would have once created: its nearest existing ancestor resolved, plus the rest. */
async function realTarget(requested: string): Promise<string> {
  const rest: string[] = [];
  let existing = requested;
  for (;;) {
    const real = await realOrUndefined(existing);
    if (real !== undefined) return path.join(real, ...rest);
    const parent = path.dirname(existing);
    if (parent === existing) return requested;
    rest.unshift(path.basename(existing));
    existing = parent;
  }
}

/** Resolves and checks the export folder, then creates it. Nothing is created when the check fails. */
export async function prepareExportDir(home: string, roots: readonly string[], name: string, requested?: string): Promise<string> {
  let target: string;
  if (requested === undefined || requested.trim() === '') {
    target = path.join(home, 'exports', name);
  } else {
    if (requested.includes('\0')) throw new InputError('The export path is not a valid path.', 'path_invalid');
    const base = roots[0] ?? home;
    target = await realTarget(path.resolve(base, requested.trim()));
    const realHome = (await realOrUndefined(home)) ?? path.resolve(home);
    const exportsFolder = await realTarget(path.join(realHome, 'exports'));
    const allowed: string[] = [exportsFolder];
    for (const root of roots) {
      const real = await realOrUndefined(path.resolve(root));
      if (real && !allowed.includes(real)) allowed.push(real);
    }
    // A run's folder or the catalog must never be overwritten, even when a root holds DISTILLERY_HOME.
    if (isInsideRoots(target, [realHome]) !== undefined && isInsideRoots(target, [exportsFolder]) === undefined) {
      throw new InputError(`${requested} is inside DISTILLERY_HOME (${realHome}), where runs and the catalog live. Nothing was written. Write under ${exportsFolder} or leave path out.`, 'path_inside_home');
    }
    if (isInsideRoots(target, allowed) === undefined) {
      throw new InputError(
        `${requested} is outside the folders Distillery may write to (${allowed.join(', ')}). Nothing was written. ` +
          'Pass a folder inside one of them, or leave path out to write under DISTILLERY_HOME/exports/.',
        'path_outside_roots',
      );
    }
  }
  const info = await stat(target).catch(() => undefined);
  if (info && !info.isDirectory()) throw new InputError(`${target} exists and is not a folder. Pass a folder for the export.`, 'path_not_folder');
  await mkdir(target, { recursive: true });
  return target;
}
