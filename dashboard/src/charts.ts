/**
 * Charts on uPlot. Each chart's container carries its series as data-series (JSON), so a reader of
 * the page (or a test) can check the very numbers drawn.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h } from './dom.js';

const colors = { projection: '#8e44ad', spent: '#2f6fde', budget: '#c0392b', runs: '#e08a00', approved: '#2e9d5b', rejected: '#b4b9c3' };

function chartBox(name: string, series: Record<string, (number | null)[]>): HTMLElement {
  return h('div', { class: 'chart', 'data-chart': name, 'data-series': JSON.stringify(series) });
}

/** Mounts a uPlot once the box is in the document (it measures its width). */
function mount(box: HTMLElement, options: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData): void {
  requestAnimationFrame(() => {
    const width = Math.max(280, box.clientWidth || 560);
    // A legend of names only: the figures are in the cards and on hover they would flicker.
    new uPlot({ legend: { live: false }, ...options, width, height: 220 }, data, box);
  });
}

/** Cumulative spend by day of the budget month against the budget and the line where runs pause. */
export function burnDownChart(days: { day: string; cumulative_usd: number }[], daysInMonth: number, budgetUsd: number, runsLineUsd: number): HTMLElement {
  const x = Array.from({ length: daysInMonth }, (_, index) => index + 1);
  const spent = x.map((day) => days[day - 1]?.cumulative_usd ?? null);
  const projection = projectToMonthEnd(days, daysInMonth);
  const box = chartBox('burn-down', { day: x, spent, budget: x.map(() => budgetUsd), runs_line: x.map(() => runsLineUsd), projection });
  mount(
    box,
    {
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(max, budgetUsd) * 1.08] } },
      axes: [{ label: 'day of the budget month' }, { label: 'US$', values: (_u, ticks) => ticks.map((tick) => `$${tick}`) }],
      series: [
        { label: 'day' },
        { label: 'spent', stroke: colors.spent, width: 2, fill: 'rgba(47,111,222,0.12)', value: (_u, v) => (v === null ? '–' : `$${v.toFixed(2)}`) },
        { label: 'budget', stroke: colors.budget, width: 1.5, dash: [6, 4], points: { show: false } },
        { label: 'runs pause here (reserve kept)', stroke: colors.runs, width: 1.5, dash: [2, 3], points: { show: false } },
        { label: "projection at this month's daily rate so far", stroke: colors.projection, width: 1.5, dash: [8, 5], points: { show: false } },
      ],
    },
    [x, spent, x.map(() => budgetUsd), x.map(() => runsLineUsd), projection],
  );
  return box;
}

/** From the last day drawn (today) to the month's last day, at the average daily spend so far. */
function projectToMonthEnd(days: { cumulative_usd: number }[], daysInMonth: number): (number | null)[] {
  const today = days.length;
  const spentNow = days.at(-1)?.cumulative_usd ?? 0;
  const rate = today > 0 ? spentNow / today : 0;
  return Array.from({ length: daysInMonth }, (_, index) => (index + 1 < today ? null : Math.round((spentNow + rate * (index + 1 - today)) * 1e6) / 1e6));
}

/** Ensemble samples per tenth of teacher agreement (0-0.1 … 0.9-1.0). */
export function agreementChart(counts: number[]): HTMLElement {
  const x = counts.map((_, index) => index / 10 + 0.05);
  const box = chartBox('agreement', { bucket_start: counts.map((_, index) => index / 10), count: counts });
  mount(
    box,
    {
      scales: { x: { time: false, range: [0, 1] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{ label: 'agreement between teachers', splits: () => counts.map((_, index) => index / 10).concat(1) }, { label: 'samples' }],
      series: [{ label: 'agreement' }, { label: 'samples', stroke: colors.spent, fill: colors.spent, paths: uPlot.paths.bars!({ size: [0.9, 60] }), points: { show: false } }],
    },
    [x, counts],
  );
  return box;
}

/** Judged samples per overall score (0-10), approved and not approved side by side. */
export function scoreChart(counts: number[], approved: number[]): HTMLElement {
  const x = counts.map((_, index) => index);
  const rejected = counts.map((value, index) => value - (approved[index] ?? 0));
  const box = chartBox('score-histogram', { score: x, total: counts, approved, not_approved: rejected });
  // Two bars per score, side by side: approved to the left of the tick, the rest to the right.
  const left = uPlot.paths.bars!({ size: [0.4, 30], align: 1 });
  const right = uPlot.paths.bars!({ size: [0.4, 30], align: -1 });
  mount(
    box,
    {
      scales: { x: { time: false, range: [-0.6, 10.6] }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
      axes: [{ label: 'judge score (overall)', splits: () => x }, { label: 'samples' }],
      series: [
        { label: 'score' },
        { label: 'approved', stroke: colors.approved, fill: colors.approved, paths: left, points: { show: false } },
        { label: 'not approved', stroke: colors.rejected, fill: colors.rejected, paths: right, points: { show: false } },
      ],
    },
    [x, approved, rejected],
  );
  return box;
}
