import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closestDomain, domainSlug, listDomains, resolveDomain, subtopicCount } from '../../../src/pipelines/cascade/domains.js';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'distillery-domains-'));
});
afterAll(async () => rm(home, { recursive: true, force: true }));

const shipped = ['customer_support', 'education', 'finance', 'general', 'legal', 'medical', 'software_engineering'];

describe('domain templates', () => {
  it('ships seven valid templates, each with a topic tree, personas, task types and a mix that sums to one', () => {
    expect(listDomains(home).map((domain) => domain.name).sort()).toEqual(shipped);
    for (const name of shipped) {
      const { template, kind } = resolveDomain(name, home);
      expect(kind).toBe('template');
      expect(template!.topics.length).toBeGreaterThanOrEqual(5);
      expect(subtopicCount(template!)).toBeGreaterThanOrEqual(20);
      expect(template!.personas.length).toBeGreaterThanOrEqual(4);
      expect(template!.task_types.length).toBeGreaterThanOrEqual(5);
      const mix = template!.difficulty_mix;
      expect(mix.easy + mix.medium + mix.hard).toBeCloseTo(1, 10);
      expect(template!.style.length).toBeGreaterThan(20);
      expect(template!.safety.length).toBeGreaterThan(20);
    }
  });

  it('matches a template however its name is written, and treats anything else as free text', () => {
    expect(domainSlug('Software Engineering')).toBe('software_engineering');
    expect(resolveDomain('customer-support', home).name).toBe('customer_support');
    expect(resolveDomain('  Medical ', home).kind).toBe('template');
    const free = resolveDomain('veterinary  dermatology', home);
    expect(free).toMatchObject({ kind: 'free_text', name: 'veterinary dermatology' });
    expect(free.template).toBeUndefined();
  });

  it('suggests the template a likely typo meant, and nothing for a real description', () => {
    expect(closestDomain('medicla', home)).toBe('medical');
    expect(closestDomain('Legal ', home)).toBe('legal');
    expect(closestDomain('veterinary dermatology', home)).toBeUndefined();
  });

  it('reads user templates from DISTILLERY_HOME/domains, which replace a shipped one of the same name', async () => {
    await mkdir(path.join(home, 'domains'), { recursive: true });
    const own = { title: 'Astronomy', description: 'Stars.', topics: [{ name: 'Stars', subtopics: ['Main sequence', 'Supernovae'] }], personas: ['an amateur astronomer'], task_types: ['explain'], difficulty_mix: { easy: 1, medium: 1, hard: 2 }, style: 'Plain.', safety: 'None.' };
    await writeFile(path.join(home, 'domains', 'astronomy.json'), JSON.stringify(own));
    await writeFile(path.join(home, 'domains', 'legal.json'), JSON.stringify({ ...own, title: 'My law' }));
    const astronomy = resolveDomain('astronomy', home);
    expect(astronomy.kind).toBe('user_template');
    expect(astronomy.template!.difficulty_mix).toEqual({ easy: 0.25, medium: 0.25, hard: 0.5 });
    expect(resolveDomain('legal', home).template!.title).toBe('My law');
    await rm(path.join(home, 'domains', 'legal.json'));
  });

  it('names the file and the field when a user template is broken', async () => {
    await mkdir(path.join(home, 'domains'), { recursive: true });
    await writeFile(path.join(home, 'domains', 'broken.json'), JSON.stringify({ title: 'Broken', topics: [] }));
    await writeFile(path.join(home, 'domains', 'torn.json'), '{"title": ');
    expect(() => resolveDomain('broken', home)).toThrow(/broken\.json does not match the template format \(.*topics/);
    expect(() => resolveDomain('torn', home)).toThrow(/torn\.json is not valid JSON/);
  });

  it('refuses a domain that is empty, has no letters or is too long, listing the templates', () => {
    for (const bad of ['', ' ', '42', '!!', 'x'.repeat(201), 'bad\u0000name']) {
      expect(() => resolveDomain(bad, home)).toThrow(/not usable: give a template name \(.*medical.*\) or a short description/);
    }
  });
});
