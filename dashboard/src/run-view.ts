/** A run: the funnel of its stages, drops by reason, dollars per approved sample, live progress and ETA. */
import { barList, card, count, duration, h, kpi, percent, usd } from './dom.js';
import type { RunView } from './types.js';

/** Counts that a sample passes on its way to the dataset, in pipeline order; the rest are drops. */
const funnelOrder = ['planned', 'chunks', 'inputs', 'generated', 'formatted', 'passed_stage_a', 'validated', 'judged', 'approved', 'train', 'golden'];
const dropCounts = ['duplicates_removed', 'unusable', 'rejected', 'dropped_near_golden', 'failed'];

export function runView(run: RunView | undefined, runs: RunView[], onPick: (runId: string) => void, onRefresh: () => void): HTMLElement {
  if (!run) return h('p', { class: 'muted' }, runs.length ? 'Loading the run…' : 'No runs yet.');
  const picker = h('select', { 'aria-label': 'run', 'data-run-picker': '', onchange: (event: Event) => onPick((event.target as HTMLSelectElement).value) }, ...runs.map((item) => h('option', { value: item.run_id, selected: item.run_id === run.run_id }, `${item.name} (${item.run_id}, ${item.status})`)));
  const approved = run.counts.approved ?? 0;
  const funnel = funnelOrder.filter((name) => run.counts[name] !== undefined).map((name): [string, number] => [name, run.counts[name]!]);
  const drops = new Map<string, number>(Object.entries(run.drops));
  for (const name of dropCounts) if (run.counts[name]) drops.set(name, (drops.get(name) ?? 0) + run.counts[name]!);
  const stageRows = Object.entries(run.stages).map(([name, stage]) =>
    h(
      'tr',
      { 'data-stage': name },
      h('td', {}, name),
      h('td', {}, h('progress', { max: stage.total ?? Math.max(stage.done, 1), value: stage.done }), ` ${count(stage.done)}${stage.total !== undefined ? ` / ${count(stage.total)}` : ''}`),
      h('td', {}, count(stage.ok)),
      h('td', {}, count(stage.failed)),
      h('td', {}, usd(stage.cost_usd)),
      h('td', { 'data-per-approved': '' }, approved > 0 ? usd(stage.cost_usd / approved) : '–'),
    ),
  );
  const state = run.status === 'running' ? `running, ${run.eta_seconds !== null ? `${duration(run.eta_seconds)} left` : 'ETA not known yet'}` : run.status === 'paused' ? `paused (${run.pause?.reason}): ${run.pause?.message}` : run.status === 'failed' ? `failed: ${run.error}` : run.status;
  return h(
    'div',
    { class: 'view', 'data-view': 'run' },
    h('div', { class: 'toolbar' }, picker, h('button', { onclick: onRefresh, 'data-refresh': '' }, 'Refresh'), h('span', { class: `status status-${run.status}`, 'data-run-status': '' }, state)),
    h(
      'div',
      { class: 'kpis' },
      kpi('spent', usd(run.spent_usd), 'run-spent'),
      kpi('approved', count(approved), 'run-approved'),
      kpi('approval rate', percent(run.approval_rate), 'run-approval'),
      kpi('per approved sample', approved > 0 ? usd(run.spent_usd / approved) : '–', 'run-per-approved'),
    ),
    h('div', { class: 'grid2' }, card('Funnel', barList('funnel', funnel, count)), card('Drops by reason', barList('drops', [...drops].sort((a, b) => b[1] - a[1]), count))),
    card(
      'Stages',
      h('table', { class: 'stages' }, h('thead', {}, h('tr', {}, ...['stage', 'progress', 'ok', 'failed', 'cost', '$ per approved'].map((title) => h('th', {}, title)))), h('tbody', {}, ...stageRows)),
    ),
    run.budget_alerts?.length ? card('Budget alerts', h('ul', { class: 'alerts' }, ...run.budget_alerts.map((alert) => h('li', {}, alert)))) : null,
  );
}
