/** Export: pick the format and split, see what would go out, export through export_dataset. */
import { card, count, h, kpi } from './dom.js';
import type { ReviewPage, RunView } from './types.js';

export interface ExportRequest {
  run_ids: string[];
  format: string;
  split: string;
  min_score?: number;
}

export interface ExportResult {
  name: string;
  dir: string;
  files: { name: string; rows: number; bytes: number; sha256: string }[];
  counts: Record<string, number>;
}

const formats = ['jsonl', 'alpaca', 'sharegpt', 'openai', 'llama-factory'];
const splits = ['all', 'train', 'golden'];

export function exportView(run: RunView | undefined, review: ReviewPage | undefined, last: ExportResult | undefined, onExport: (request: ExportRequest) => void): HTMLElement {
  if (!run) return h('p', { class: 'muted' }, 'No run to export yet.');
  const form = h(
    'form',
    { class: 'filters', 'data-export': '' },
    h('label', {}, 'format ', h('select', { name: 'format' }, ...formats.map((format) => h('option', { value: format }, format)))),
    h('label', {}, 'split ', h('select', { name: 'split' }, ...splits.map((split) => h('option', { value: split }, split)))),
    h('label', {}, 'min score ', h('input', { name: 'min_score', type: 'number', min: 0, max: 10, step: 0.5, placeholder: 'approved only' })),
    h('button', { type: 'button', 'data-apply': '' }, `Export ${run.name}`),
  );
  // No form submission: a sandboxed MCP App frame without allow-forms never fires submit.
  form.querySelector('[data-apply]')!.addEventListener('click', () => {
    const data = new FormData(form);
    const score = String(data.get('min_score') ?? '').trim();
    onExport({ run_ids: [run.run_id], format: String(data.get('format')), split: String(data.get('split')), ...(score ? { min_score: Number(score) } : {}) });
  });
  const summary = review?.summary;
  return h(
    'div',
    { class: 'view', 'data-view': 'export' },
    h(
      'div',
      { class: 'kpis' },
      kpi('approved after review', summary ? count(summary.approved) : '–', 'export-approved'),
      kpi('in train', count(run.counts.train ?? 0), 'export-train'),
      kpi('in the golden set', count(run.counts.golden ?? 0), 'export-golden'),
      kpi('decided by a person', summary ? count(summary.human.reviewed) : '–', 'export-human'),
    ),
    card('Export', form),
    last ? card(`Exported ${last.name}`, resultTable(last)) : null,
  );
}

function resultTable(result: ExportResult): HTMLElement {
  const counts = Object.entries(result.counts).filter(([, value]) => value > 0);
  return h(
    'div',
    { 'data-export-result': result.name },
    h('p', { class: 'muted' }, `Written to ${result.dir}`),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'file'), h('th', {}, 'rows'), h('th', {}, 'bytes'))), h('tbody', {}, ...result.files.map((file) => h('tr', {}, h('td', {}, file.name), h('td', {}, count(file.rows)), h('td', {}, count(file.bytes)))))),
    h('p', {}, counts.map(([name, value]) => `${name.replace(/_/g, ' ')} ${count(value)}`).join(' · ')),
  );
}
