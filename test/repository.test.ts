/**
 * The repository stands on its own: a fresh clone with nothing beside it must pass its tests, so no
 * source, test, bench, CI script or README may reach outside it for files (the sample documents live
 * in examples/, each listed with its source).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

const checked = ['src', 'test', 'bench', '.ci', 'README.md'];
const outside = 'shared';
/** The sibling folder as a relative path (either slash, any depth) or as path.join arguments; built so this file does not name it. */
const namesOutside = [new RegExp(String.raw`\.\.[\\/]+${outside}\b`), new RegExp(String.raw`['"\`]\.\.['"\`]\s*,\s*['"\`]${outside}['"\`]`)];

function filesUnder(entry: string): string[] {
  const full = path.join(repoRoot, entry);
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full).flatMap((name) => filesUnder(path.join(entry, name)));
}

function offendingLines(text: string): string[] {
  return text.split('\n').filter((line) => namesOutside.some((pattern) => pattern.test(line)));
}

describe('the repository stands on its own', () => {
  it('recognises every spelling of the folder beside the repository', () => {
    const up = ['..', outside];
    for (const line of [up.join('/'), up.join('\\'), `../${up.join('/')}/corpus`, `path.join(root, '${up[0]}', '${up[1]}')`, `resolve("${up[0]}", "${up[1]}", 'corpus')`]) {
      expect(offendingLines(line), line).toEqual([line]);
    }
    expect(offendingLines("const shared = 0; path.join('..', 'sharedFake')")).toEqual([]);
  });

  it('no file in src/, test/, bench/, .ci/ or README.md names the folder beside the repository', () => {
    const files = checked.flatMap(filesUnder);
    expect(files.length).toBeGreaterThan(50);
    const offending = files.flatMap((file) => offendingLines(readFileSync(path.join(repoRoot, file), 'utf8')).map((line) => `${file}: ${line.trim()}`));
    expect(offending).toEqual([]);
  });

  it('examples/SOURCES.md lists every example document with its size', () => {
    const folder = path.join(repoRoot, 'examples');
    const sources = readFileSync(path.join(folder, 'SOURCES.md'), 'utf8');
    const documents = readdirSync(folder).filter((name) => name !== 'SOURCES.md');
    expect(documents).toEqual(expect.arrayContaining(['legal_guide.txt', 'medical_manual.txt', 'technical_manual.txt']));
    for (const name of documents) {
      const row = sources.split('\n').find((line) => line.startsWith(`| ${name} |`));
      expect(row, `${name} has no row in examples/SOURCES.md`).toBeDefined();
      expect(row).toContain(statSync(path.join(folder, name)).size.toLocaleString('en-US'));
    }
  });
});
