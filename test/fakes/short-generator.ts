/** Cascade generators that answer fewer pairs than asked, for tests of re-asks and targets. */
import { createHash } from 'node:crypto';
import type { FakeReply, FakeRequest } from './provider-server.js';
import { distilleryResponder } from './distillery-responder.js';

export const isCascadeGenerate = (request: FakeRequest) => request.system.startsWith('Task: cascade-generate');
const unit = (text: string) => createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;

/** distilleryResponder, with the cascade generator answering only the slots `keep` lets through (at least one). */
export function shortGenerator(keep: (request: FakeRequest, slot: number) => boolean) {
  return (request: FakeRequest): FakeReply => {
    const reply = distilleryResponder(request);
    if (!isCascadeGenerate(request) || reply.kind !== 'text') return reply;
    const { pairs } = JSON.parse(reply.text) as { pairs: { slot: number }[] };
    const kept = pairs.filter((pair) => keep(request, pair.slot));
    // An empty list is an unusable answer (the call fails); this generator answers short, not never.
    return { kind: 'text', text: JSON.stringify({ pairs: kept.length ? kept : pairs.slice(0, 1) }) };
  };
}

/** About 30% of the slots of every call left unanswered, drawn afresh (and deterministically) for each prompt. */
export const thirtyPercentShort = shortGenerator((request, slot) => unit(`${request.userText}|${slot}`) >= 0.3);
