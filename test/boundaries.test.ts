/** The dependency rules of docs/ARCHITECTURE.md, enforced: one reader of the environment, one home for each SDK. */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';

async function sources(): Promise<{ file: string; text: string }[]> {
  const root = path.join(repoRoot, 'src');
  const files = (await readdir(root, { recursive: true })).filter((name) => name.endsWith('.ts'));
  return Promise.all(files.map(async (file) => ({ file: path.join('src', file).split(path.sep).join('/'), text: await readFile(path.join(root, file), 'utf8') })));
}

describe('module boundaries', () => {
  it('only src/config.ts reads process.env, only src/llm imports the provider SDKs, only src/store imports lowdb', async () => {
    const all = await sources();
    expect(all.length).toBeGreaterThan(50);
    const offenders = (pattern: RegExp, allowed: (file: string) => boolean) => all.filter(({ file, text }) => pattern.test(text) && !allowed(file)).map(({ file }) => file);
    expect(offenders(/process\.env/, (file) => file === 'src/config.ts')).toEqual([]);
    expect(offenders(/from '(openai|@anthropic-ai\/sdk)[/']/, (file) => file.startsWith('src/llm/'))).toEqual([]);
    expect(offenders(/from 'lowdb[/']/, (file) => file.startsWith('src/store/'))).toEqual([]);
  });
});
