/**
 * A deterministic stand-in for the models behind Distillery's prompts, for the fake provider: it
 * reads the task line of the system prompt and answers in the shape that task asks for, from the
 * passage it was given. Same request, same answer, so a resumed run can be compared with an
 * uninterrupted one.
 */
import { createHash } from 'node:crypto';
import type { FakeReply, FakeRequest } from './provider-server.js';

function hash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function between(text: string, open: string, close: string): string {
  const start = text.indexOf(open);
  const end = text.lastIndexOf(close);
  return start >= 0 && end > start ? text.slice(start + open.length, end).trim() : '';
}

function sentences(passage: string): string[] {
  return passage
    .replace(/\s+/g, ' ')
    .split(/(?<=[.;:])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length >= 40 && s.length <= 300);
}

const difficulties = ['easy', 'medium', 'hard'] as const;
const kinds = ['factual', 'conceptual', 'applied'] as const;

export function generatePairs(userText: string): { pairs: unknown[] } {
  const wanted = Number(/Pairs to write: (\d+)/.exec(userText)?.[1] ?? 3);
  const passage = between(userText, '<passage>', '</passage>');
  const found = sentences(passage);
  const pool = found.length ? found : [passage.slice(0, 200)];
  const pairs = Array.from({ length: wanted }, (_, i) => {
    const sentence = pool[i % pool.length]!;
    const words = sentence.split(' ').slice(0, 9).join(' ');
    return {
      question: `What is established by the provision that begins "${words}"${i >= pool.length ? ` (aspect ${i})` : ''}?`,
      answer: `The provision states: ${sentence}`,
      reasoning: 'The answer restates the provision in the passage.',
      evidence: sentence.slice(0, 200),
      difficulty: difficulties[i % 3],
      question_type: kinds[(i + 1) % 3],
    };
  });
  return { pairs };
}

export function judgePair(userText: string): Record<string, unknown> {
  const passage = between(userText, '<passage>', '</passage>');
  const answer = between(userText, '<answer>', '</answer>');
  const grounded = passage.replace(/\s+/g, ' ').includes(answer.replace(/^The provision states: /, '').replace(/\s+/g, ' ').slice(0, 60));
  const weak = hash(answer) % 100 < 15; // about 15% judged too weak, so rejections exist
  const score = !grounded ? 3 : weak ? 5 : 8 + (hash(answer) % 2);
  return { faithfulness: score, correctness: score, clarity: score, usefulness: score, reason: grounded ? (weak ? 'Too shallow to teach much.' : 'Faithful to the passage and clearly stated.') : 'The answer is not supported by the passage.' };
}

/** Ensemble teacher: each model takes its own position (one of three) per question, in its own words. */
export function teacherAnswer(userText: string, model: string): Record<string, unknown> {
  const question = between(userText, '<instruction>', '</instruction>');
  const position = hash(`${question}|${model}`) % 3;
  const views = ['the standard rule applies', 'it depends on an exception', 'the usual rule does not apply'];
  const openers = ['In short', 'Put simply', 'The answer', 'Briefly', 'To answer directly'];
  return {
    answer: `${openers[hash(model) % openers.length]}: for "${question.slice(0, 80)}", ${views[position]} (position ${position}). Variant ${hash(model) % 997}.`,
    reasoning: `Reasoned by ${model.length}-letter model from position ${position}.`,
  };
}

/** Ensemble judge: answers sharing the majority position agree and score higher; agreement is the majority share. */
export function judgeEnsemble(userText: string): Record<string, unknown> {
  const question = between(userText, '<instruction>', '</instruction>');
  const answers = [...userText.matchAll(/<answer label="([A-Z]+)">\n([\s\S]*?)\n\n<reasoning>/g)].map((m) => ({ label: m[1]!, text: m[2]!, position: Number(/\(position (\d)\)/.exec(m[2]!)?.[1] ?? 0) }));
  const tally = [0, 1, 2].map((position) => answers.filter((a) => a.position === position).length);
  const majority = tally.indexOf(Math.max(...tally));
  const weak = hash(question) % 10 === 0 ? 3 : 0; // about one question in ten gets weak answers all round
  const scored = answers.map((a) => ({ label: a.label, score: Math.max(0, (a.position === majority ? 7 : 3) + (hash(a.text) % 3) - weak), agrees: a.position === majority, note: a.position === majority ? 'Agrees with the majority.' : 'Takes a different position.' }));
  const best = [...scored].sort((x, y) => y.score - x.score || x.label.localeCompare(y.label))[0]!;
  const agreement = Math.round((tally[majority]! / Math.max(1, answers.length)) * 100) / 100;
  const unanimous = agreement === 1;
  const bestText = answers.find((a) => a.label === best.label)!.text;
  return {
    answers: scored,
    best: best.label,
    agreement,
    consensus: unanimous
      ? { method: 'picked', based_on: [best.label], answer: bestText, reasoning: 'All answers agree; this one is clearest.' }
      : { method: 'merged', based_on: scored.filter((s) => s.agrees).map((s) => s.label), answer: `Merged: ${bestText}`, reasoning: 'Combines the answers that agree.' },
    consensus_score: unanimous ? best.score : Math.min(10, best.score + 0.5),
    difficulty: difficulties[hash(question) % 3],
    reason: unanimous ? 'The teachers agree.' : `Split ${tally.filter(Boolean).join('/')} between positions.`,
  };
}

/** Ensemble prompt generation: distinct prompts per batch and focus; the last repeats the first when there are four or more. */
export function generateEnsemblePrompts(userText: string): Record<string, unknown> {
  const domain = /Domain: (.+)/.exec(userText)?.[1]?.trim() ?? 'general';
  const focus = /Focus of this batch: (.+)/.exec(userText)?.[1]?.trim() ?? '';
  const batch = Number(/Batch (\d+) of/.exec(userText)?.[1] ?? 1);
  const count = Number(/Prompts to write: (\d+)/.exec(userText)?.[1] ?? 5);
  const actions = ['Explain why', 'Describe how', 'Compare when', 'List the steps by which', 'Assess whether', 'Show what happens when', 'Argue whether', 'Outline how', 'Diagnose why', 'Estimate how often', 'Summarise when', 'Predict what follows when'];
  const subjects = ['a junior practitioner', 'an auditor', 'a small clinic', 'a regional office', 'a new regulation', 'a legacy system', 'a first-time client', 'an overloaded team', 'a cross-border case', 'a disputed record', 'a budget shortfall', 'a safety incident'];
  const situations = ['misreads the guidance', 'faces conflicting rules', 'must act within a day', 'lacks key records', 'inherits an old decision', 'is challenged on appeal', 'meets an unusual exception', 'works under a new standard', 'reports to two managers', 'handles sensitive data', 'scales to ten sites'];
  const prompts = Array.from({ length: count }, (_, i) => {
    const g = (batch - 1) * 25 + i + hash(focus) % 50;
    return { instruction: `${actions[g % 12]} ${subjects[(5 * g + 3) % 12]} ${situations[(7 * g + 1) % 11]} in ${domain} (${focus})?`, input: '', difficulty: difficulties[g % 3] };
  });
  if (count >= 4) prompts[count - 1] = { ...prompts[0]! };
  return { prompts };
}

/** Cascade: a word bank, so raw questions differ enough that near-duplicate removal keeps them. */
const cascadeWords = ['budget', 'timeline', 'evidence', 'neighbour', 'winter', 'contract', 'sensor', 'ledger', 'harbour', 'protocol', 'outlier', 'threshold', 'volunteer', 'archive', 'migration', 'forecast', 'audit', 'margin', 'pilot', 'backlog', 'cohort', 'deadline', 'vendor', 'checklist', 'baseline', 'dosage', 'clause', 'invoice', 'syllabus', 'latency', 'warranty', 'referral', 'quarterly', 'rural', 'overnight', 'bilingual', 'seasonal', 'remote', 'urgent', 'routine', 'legacy', 'shared', 'partial', 'delayed', 'informal', 'regional', 'inherited', 'temporary', 'copper', 'lantern', 'meadow', 'orbit', 'quartz', 'thunder', 'violet', 'glacier', 'canyon', 'falcon', 'ember', 'willow', 'tundra', 'saffron', 'cobalt', 'prairie', 'beacon', 'harvest', 'summit', 'estuary', 'granite', 'mosaic', 'nectar', 'pebble', 'ripple', 'sandal', 'timber', 'umbra', 'vortex', 'zephyr'];
const cascadeOpeners = ['How', 'Why', 'When', 'Which', 'Should', 'Can', 'What', 'Where'];

function cascadeQuestion(domain: string, subtopic: string, seed: string): string {
  const h = hash(seed);
  // About one slot in twenty repeats a stock question (exactly, or with two words added) so dedup has work.
  const stock = `What are the most important basics of ${domain} that every beginner should know?`;
  if (h % 40 === 0) return stock;
  if (h % 40 === 1) return stock.replace('?', ' in practice?');
  const word = (k: number) => cascadeWords[hash(`${seed}|${k}`) % cascadeWords.length];
  // Few fixed words: questions that share a frame would crowd the near-duplicate index's buckets.
  return `${cascadeOpeners[h % cascadeOpeners.length]} ${word(1)} ${word(2)} ${word(3)} ${subtopic.toLowerCase()} ${word(4)} ${word(5)} ${word(6)} ${word(7)} ${word(8)}?`;
}

export function generateCascadePairs(system: string, userText: string): { pairs: unknown[] } {
  const domain = /^Domain: (.+)$/m.exec(system)?.[1]?.trim() ?? 'the domain';
  const subtopic = /^Subtopic: (.+)$/m.exec(userText)?.[1]?.trim() ?? 'the subtopic';
  const call = /^Call (\d+) of/m.exec(userText)?.[1] ?? '1';
  const slots = [...userText.matchAll(/^(\d+)\. task: (.+?) \| difficulty: (\w+) \| persona: (.+?) \| angle: (.+)$/gm)];
  const pairs = slots.map((m) => {
    const seed = `${subtopic}|${call}|${m[0]}`;
    return { slot: Number(m[1]), question: cascadeQuestion(domain, subtopic, seed), answer: `For ${m[4]}, on ${subtopic} (${m[3]}): ${m[2]} shows ${cascadeWords[hash(seed) % cascadeWords.length]} matters; check the ${m[5]} first, then act on the evidence step by step.` };
  });
  return { pairs };
}

export function formatCascadePair(userText: string): Record<string, unknown> {
  const question = between(userText, '<question>', '</question>');
  const answer = between(userText, '<answer>', '</answer>');
  const difficulty = /^Planned difficulty: (\w+)$/m.exec(userText)?.[1] ?? 'medium';
  const unusable = hash(`format|${question}`) % 25 === 0; // about 4% set aside by the formatter
  return { usable: !unusable, problem: unusable ? 'incomplete' : null, note: unusable ? 'The answer stops before it addresses the question.' : 'Fixed punctuation.', instruction: question.trim(), input: '', output: answer.trim(), reasoning: 'The answer applies the standard approach to the case in the question.', difficulty };
}

export function judgeCascadePair(userText: string): Record<string, unknown> {
  const instruction = between(userText, '<instruction>', '</instruction>');
  const h = hash(`judge|${instruction}`);
  const weak = h % 100 < 15; // about 15% rejected
  const score = weak ? 5 : 7 + (h % 4);
  return { accuracy: score, completeness: score, clarity: weak ? 6 : 9, usefulness: score, safety: 9, reason: weak ? 'Too generic to teach much.' : 'Accurate and specific.' };
}

export function expandCascadeDomain(userText: string): Record<string, unknown> {
  const domain = between(userText, '<domain>', '</domain>') || 'the domain';
  const areas = ['Foundations', 'Assessment', 'Common conditions', 'Treatment and management', 'Prevention', 'Professional practice'];
  const facets = ['basics', 'edge cases', 'tools and methods', 'communication'];
  return {
    title: domain.replace(/^\w/, (c) => c.toUpperCase()),
    description: `Questions and answers about ${domain}.`,
    topics: areas.map((area) => ({ name: `${area} in ${domain}`, subtopics: facets.map((facet) => `${area} ${facet} of ${domain}`) })),
    personas: ['a specialist practitioner', 'a student of the field', 'a curious member of the public', 'a trainee on placement'],
    task_types: ['explain a concept', 'case reasoning', 'compare two options', 'step-by-step procedure', 'plain-language explanation'],
    difficulty_mix: { easy: 0.3, medium: 0.45, hard: 0.25 },
    style: 'Precise and practical.',
    safety: 'Recommend a professional for individual cases.',
  };
}

/**
 * Evaluation answers by model name: a model named with "good" restates the question thoroughly, one
 * named with "bad" knows nothing, any other (a baseline) answers briefly.
 */
export function evaluationAnswer(userText: string, model: string): Record<string, unknown> {
  const question = between(userText, '<instruction>', '</instruction>');
  if (/bad/i.test(model)) return { answer: 'I am not sure.' };
  if (/good/i.test(model)) return { answer: `Thorough answer: for "${question.slice(0, 80)}", check the evidence, apply the standard rule, then the exceptions, step by step.` };
  return { answer: `Brief answer: for "${question.slice(0, 80)}", the standard rule applies.` };
}

/** Evaluation judge: thorough answers score 9, brief ones 6, "not sure" 2; the higher score is better. */
export function judgeEvaluation(userText: string): Record<string, unknown> {
  const score = (text: string) => (text.startsWith('Thorough') ? 9 : text.startsWith('Brief') ? 6 : 2);
  const a = score(between(userText, '<answer label="A">', '</answer>\n\n<answer label="B">'));
  const b = score(userText.slice(userText.indexOf('<answer label="B">') + 18).trim());
  return {
    answers: [{ label: 'A', score: a, note: `Scored ${a}.` }, { label: 'B', score: b, note: `Scored ${b}.` }],
    better: a === b ? 'tie' : a > b ? 'A' : 'B',
    reason: a === b ? 'Equally good.' : 'One answer covers the reference better.',
  };
}

/** Answers Distillery's task prompts; anything else gets {"ok": true}. */
export function distilleryResponder(request: FakeRequest): FakeReply {
  const task = /^Task: ([\w-]+)/m.exec(request.system)?.[1];
  if (task === 'distill-generate') return { kind: 'text', text: JSON.stringify(generatePairs(request.userText)) };
  if (task === 'distill-validate') return { kind: 'text', text: JSON.stringify(judgePair(request.userText)) };
  if (task === 'ensemble-answer') return { kind: 'text', text: JSON.stringify(teacherAnswer(request.userText, request.model)) };
  if (task === 'ensemble-judge') return { kind: 'text', text: JSON.stringify(judgeEnsemble(request.userText)) };
  if (task === 'ensemble-prompts') return { kind: 'text', text: JSON.stringify(generateEnsemblePrompts(request.userText)) };
  if (task === 'cascade-generate') return { kind: 'text', text: JSON.stringify(generateCascadePairs(request.system, request.userText)) };
  if (task === 'cascade-format') return { kind: 'text', text: JSON.stringify(formatCascadePair(request.userText)) };
  if (task === 'cascade-validate') return { kind: 'text', text: JSON.stringify(judgeCascadePair(request.userText)) };
  if (task === 'evaluate-answer') return { kind: 'text', text: JSON.stringify(evaluationAnswer(request.userText, request.model)) };
  if (task === 'evaluate-judge') return { kind: 'text', text: JSON.stringify(judgeEvaluation(request.userText)) };
  if (task === 'cascade-expand-domain') return { kind: 'text', text: JSON.stringify(expandCascadeDomain(request.userText)) };
  return { kind: 'text', text: '{"ok": true}' };
}

/** distilleryResponder, but every answer bills its whole max_tokens: far above the estimates, so money runs out part-way. */
export function billsMaxTokens(request: FakeRequest): FakeReply {
  const answer = distilleryResponder(request);
  return answer.kind === 'text' ? { ...answer, usage: { output: request.maxTokens } } : answer;
}
