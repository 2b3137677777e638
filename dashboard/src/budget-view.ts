/** Budget: the month's burn-down, what is held for calls in flight, where the money went, alerts. */
import { burnDownChart } from './charts.js';
import { barList, card, h, kpi, usd } from './dom.js';
import type { BudgetStatus, BurnDown } from './types.js';

const sorted = (record: Record<string, number>): [string, number][] => Object.entries(record).sort((a, b) => b[1] - a[1]);

export function budgetView(budget: BudgetStatus | undefined, burnDown: BurnDown | undefined, runNames: Map<string, string>): HTMLElement {
  if (!budget) return h('p', { class: 'muted' }, 'Loading the budget…');
  const alerts = budget.alerts.length
    ? h('ul', { class: 'alerts', 'data-alerts': '' }, ...budget.alerts.map((alert) => h('li', {}, alert)))
    : h('p', { class: 'muted', 'data-alerts': '' }, 'No alerts this month.');
  const byRun = sorted(budget.by_run).map(([id, value]): [string, number] => [runNames.has(id) ? `${runNames.get(id)} (${id})` : id, value]);
  return h(
    'div',
    { class: 'view', 'data-view': 'budget' },
    h(
      'div',
      { class: 'kpis' },
      kpi(`spent of ${usd(budget.budget_usd)} (${budget.percent_used}%)`, usd(budget.spent_usd), 'spent'),
      kpi('held now for calls in flight', usd(budget.reserved_usd), 'reserved'),
      kpi('available for runs', usd(budget.available_for_runs_usd), 'available'),
      kpi('kept in reserve for retries', usd(budget.reserve_usd), 'reserve'),
    ),
    card(
      `Burn-down, ${budget.month}`,
      burnDown ? burnDownChart(burnDown.days, burnDown.days_in_month, burnDown.budget_usd, burnDown.runs_line_usd) : h('p', { class: 'muted' }, 'No day-by-day figures in this result.'),
    ),
    h('div', { class: 'grid3' }, card('By provider', barList('provider', sorted(budget.by_provider), usd)), card('By stage', barList('stage', sorted(budget.by_stage), usd)), card('By run', barList('run', byRun, usd))),
    card('Alerts', alerts),
  );
}
