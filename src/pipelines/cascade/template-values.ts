/** The values each cascade prompt template is filled with, shared by the pipeline and the estimate. */
import type { DomainTemplate } from './domains.js';
import type { PlanBatch, PlanSlot } from './plan.js';

export const cascadeTemplates = {
  expand: 'cascade/expand-domain',
  generate: 'cascade/generate',
  format: 'cascade/format',
  validate: 'cascade/validate',
} as const;

export function generateValues(template: DomainTemplate, batch: PlanBatch): Record<string, string | number> {
  const slots = batch.slots.map((slot) => `${slot.slot}. task: ${slot.task_type} | difficulty: ${slot.difficulty} | persona: ${slot.persona} | angle: ${slot.angle}`);
  return {
    domain: template.title,
    description: template.description || template.title,
    style: template.style || '(none)',
    safety: template.safety || '(none)',
    topic: batch.topic,
    subtopic: batch.subtopic,
    part: batch.part,
    parts: batch.parts,
    pairs: batch.slots.length,
    slots: slots.join('\n'),
  };
}

export function formatValues(template: DomainTemplate, batch: PlanBatch, slot: PlanSlot, question: string, answer: string): Record<string, string | number> {
  return { domain: template.title, topic: batch.topic, subtopic: batch.subtopic, task_type: slot.task_type, difficulty: slot.difficulty, question, answer };
}

export function validateValues(
  template: DomainTemplate,
  batch: PlanBatch,
  slot: PlanSlot,
  sample: { instruction: string; input: string; output: string; reasoning: string; difficulty?: string },
): Record<string, string | number> {
  return {
    domain: template.title,
    safety: template.safety || '(none)',
    topic: batch.topic,
    subtopic: batch.subtopic,
    task_type: slot.task_type,
    difficulty: sample.difficulty ?? slot.difficulty,
    instruction: sample.instruction,
    input: sample.input || '(none)',
    output: sample.output,
    reasoning: sample.reasoning || '(none)',
  };
}
