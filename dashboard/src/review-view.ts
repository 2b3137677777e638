/**
 * Review: a page of samples with filters, driven by the keyboard (j/k move, a approve, r reject,
 * e edit, u undo, n/p next and previous page). Every decision goes through review_samples, so it is
 * recorded with who, when and the original text exactly as the tool records it.
 */
import { h } from './dom.js';
import type { ReviewPage, Sample } from './types.js';

export interface Filters {
  status?: string;
  min_score?: number;
  difficulty?: string;
  topic?: string;
  query?: string;
  rejection_reason?: string;
}

export interface Decision {
  sample_id: string;
  action: 'approve' | 'reject' | 'edit';
  instruction?: string;
  output?: string;
  note?: string;
}

export interface ReviewState {
  filters: Filters;
  selected: number;
  editing: boolean;
}

export interface ReviewActions {
  filter(filters: Filters): void;
  /** Keeps what is typed into the filters across re-renders, without reading a page. */
  draft(filters: Filters): void;
  decide(decisions: Decision[], undo: { sample: Sample; action: Decision['action'] }): void;
  undo(): void;
  page(step: 1 | -1): void;
  select(index: number): void;
  edit(on: boolean): void;
}

export function reviewView(page: ReviewPage | undefined, state: ReviewState, actions: ReviewActions, hasPrevious: boolean, sources: Record<string, string> = {}): HTMLElement {
  if (!page) return h('p', { class: 'muted' }, 'Loading samples…');
  const sample = page.samples[state.selected];
  return h(
    'div',
    { class: 'view', 'data-view': 'review' },
    filterBar(state.filters, actions),
    h('p', { class: 'muted', 'data-matched': page.matched }, `${page.matched.toLocaleString('en-US')} samples match. Keys: j/k move · a approve · r reject · e edit · u undo · n/p page.`),
    h(
      'div',
      { class: 'review' },
      h(
        'ol',
        { class: 'samples', 'data-samples': '' },
        ...page.samples.map((item, index) =>
          h(
            'li',
            { class: `sample status-${item.status}${index === state.selected ? ' selected' : ''}`, 'data-sample-id': item.id, 'data-status': item.status, onclick: () => actions.select(index) },
            h('span', { class: 'badge' }, item.status),
            h('span', { class: 'score' }, item.score === null ? '–' : item.score.toFixed(1)),
            h('span', { class: 'question' }, item.instruction),
          ),
        ),
      ),
      sample ? detail(sample, state.editing, actions, sources[sample.id]) : h('p', { class: 'muted' }, 'No sample on this page.'),
    ),
    h('div', { class: 'toolbar' }, h('button', { disabled: !hasPrevious, onclick: () => actions.page(-1) }, '← previous page'), h('button', { disabled: !page.next_cursor, onclick: () => actions.page(1) }, 'next page →')),
  );
}

function filterBar(filters: Filters, actions: ReviewActions): HTMLElement {
  const form = h(
    'form',
    { class: 'filters', 'data-filters': '' },
    h('select', { name: 'status', 'aria-label': 'status' }, ...['', 'pending', 'approved', 'rejected'].map((value) => h('option', { value, selected: (filters.status ?? '') === value }, value || 'any status'))),
    h('input', { name: 'min_score', type: 'number', min: 0, max: 10, step: 0.5, placeholder: 'min score', value: filters.min_score ?? '', 'aria-label': 'minimum score' }),
    h('select', { name: 'difficulty', 'aria-label': 'difficulty' }, ...['', 'easy', 'medium', 'hard'].map((value) => h('option', { value, selected: (filters.difficulty ?? '') === value }, value || 'any difficulty'))),
    h('input', { name: 'topic', placeholder: 'topic', value: filters.topic ?? '', 'aria-label': 'topic' }),
    h('input', { name: 'query', placeholder: 'words', value: filters.query ?? '', 'aria-label': 'text' }),
    h('input', { name: 'rejection_reason', placeholder: 'rejection reason', value: filters.rejection_reason ?? '', 'aria-label': 'rejection reason' }),
    h('button', { type: 'button', 'data-apply': '' }, 'Filter'),
  );
  const read = (): Filters => {
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    const score = text('min_score');
    return { status: text('status'), min_score: score === undefined ? undefined : Number(score), difficulty: text('difficulty'), topic: text('topic'), query: text('query'), rejection_reason: text('rejection_reason') };
  };
  form.addEventListener('input', () => actions.draft(read()));
  form.addEventListener('change', () => actions.draft(read()));
  // No form submission: a sandboxed MCP App frame without allow-forms never fires submit.
  form.querySelector('[data-apply]')!.addEventListener('click', () => actions.filter(read()));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') event.preventDefault(), actions.filter(read());
  });
  return form;
}

function detail(sample: Sample, editing: boolean, actions: ReviewActions, source: string | undefined): HTMLElement {
  const field = (label: string, text: string, name: string) =>
    editing && name !== 'input' ? h('label', {}, label, h('textarea', { name, rows: name === 'output' ? 10 : 3 }, text)) : text ? h('div', { class: 'field' }, h('h3', {}, label), h('p', {}, text)) : null;
  const box = h(
    'article',
    { class: 'detail', 'data-detail': sample.id },
    h('p', { class: 'meta' }, `${sample.id} · ${sample.difficulty} · topic ${sample.topic || '–'} · source ${sample.source || '–'}`),
    field('Instruction', sample.instruction, 'instruction'),
    field('Input', sample.input, 'input'),
    field('Output', sample.output, 'output'),
    h('div', { class: 'judge' }, h('h3', {}, `Judge${judgeName(sample)}`), h('p', {}, sample.judge.reason || '–')),
    // What the sample was written from, so a reviewer can check it against its source.
    source ? h('div', { class: 'source', 'data-source': '' }, h('h3', {}, 'Written from'), h('p', {}, source)) : null,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { 'data-action': 'approve', onclick: () => actions.decide([{ sample_id: sample.id, action: 'approve' }], { sample, action: 'approve' }) }, 'Approve (a)'),
      h('button', { 'data-action': 'reject', onclick: () => actions.decide([{ sample_id: sample.id, action: 'reject' }], { sample, action: 'reject' }) }, 'Reject (r)'),
      editing ? h('button', { 'data-action': 'save', onclick: () => saveEdit(sample, actions) }, 'Save edit (Ctrl+Enter)') : h('button', { 'data-action': 'edit', onclick: () => actions.edit(true) }, 'Edit (e)'),
      h('button', { 'data-action': 'undo', onclick: () => actions.undo() }, 'Undo (u)'),
    ),
    sample.human ? h('p', { class: 'human' }, `Decided by ${sample.human.by}: ${sample.human.action} at ${sample.human.at}${sample.human.note ? ` (${sample.human.note})` : ''}`) : null,
    editing ? h('p', { class: 'muted' }, 'Ctrl+Enter saves the edit (and approves); Esc cancels.') : null,
  );
  if (editing) requestAnimationFrame(() => box.querySelector<HTMLTextAreaElement>('textarea[name=output]')?.focus());
  return box;
}

/** " (claude-haiku-4-5)" for the model judge; " (filter)" or " (human)" for other deciders. */
function judgeName(sample: Sample): string {
  const names = [sample.judge.by === 'judge' ? '' : sample.judge.by, sample.judge.model ?? ''].filter(Boolean);
  return names.length ? ` (${names.join(', ')})` : '';
}

/** The keys of the review list; ignored while typing in a filter, except Esc and Ctrl+Enter in an edit. */
export function reviewKeys(event: KeyboardEvent, page: ReviewPage | undefined, state: ReviewState, actions: ReviewActions): boolean {
  const sample = page?.samples[state.selected];
  const typing = event.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName);
  if (state.editing) {
    if (event.key === 'Escape') return actions.edit(false), true;
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && sample) return saveEdit(sample, actions), true;
    return false;
  }
  if (typing || event.ctrlKey || event.metaKey || event.altKey || !page) return false;
  const move = (to: number) => actions.select(Math.max(0, Math.min(page.samples.length - 1, to)));
  switch (event.key) {
    case 'j': return move(state.selected + 1), true;
    case 'k': return move(state.selected - 1), true;
    case 'a': return sample ? (actions.decide([{ sample_id: sample.id, action: 'approve' }], { sample, action: 'approve' }), true) : false;
    case 'r': return sample ? (actions.decide([{ sample_id: sample.id, action: 'reject' }], { sample, action: 'reject' }), true) : false;
    case 'e': return sample ? (actions.edit(true), true) : false;
    case 'u': return actions.undo(), true;
    case 'n': return page.next_cursor ? (actions.page(1), true) : false;
    case 'p': return actions.page(-1), true;
    default: return false;
  }
}

function saveEdit(sample: Sample, actions: ReviewActions): void {
  const value = (name: string) => document.querySelector<HTMLTextAreaElement>(`[data-detail] textarea[name=${name}]`)?.value;
  const instruction = value('instruction');
  const output = value('output');
  const decision: Decision = { sample_id: sample.id, action: 'edit', note: 'edited in the dashboard' };
  if (instruction !== undefined && instruction !== sample.instruction) decision.instruction = instruction;
  if (output !== undefined && output !== sample.output) decision.output = output;
  if (decision.instruction === undefined && decision.output === undefined) return actions.edit(false);
  actions.decide([decision], { sample, action: 'edit' });
}
