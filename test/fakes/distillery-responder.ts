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

/** Answers Distillery's task prompts; anything else gets {"ok": true}. */
export function distilleryResponder(request: FakeRequest): FakeReply {
  const task = /^Task: ([\w-]+)/m.exec(request.system)?.[1];
  if (task === 'distill-generate') return { kind: 'text', text: JSON.stringify(generatePairs(request.userText)) };
  if (task === 'distill-validate') return { kind: 'text', text: JSON.stringify(judgePair(request.userText)) };
  return { kind: 'text', text: '{"ok": true}' };
}
