/**
 * The figures the dashboard draws that no tool result holds yet: the month's spend day by day (the
 * burn-down) and a run's score histogram. They travel in the `_meta` of budget_status and
 * review_samples results, so the text and structuredContent every client reads stay as they were.
 */
import type { App } from '../app.js';
import type { RunRecord } from '../store/catalog.js';
import { monthRange } from '../store/month.js';
import { reviewStore } from '../review/store.js';
import { statusNames } from '../review/sample-index.js';

export const burnDownMetaKey = 'distillery/burn_down';
export const scoreHistogramMetaKey = 'distillery/score_histogram';

export interface BurnDown {
  month: string;
  budget_usd: number;
  /** Spending may reach this line before runs pause; the rest is kept for retries. */
  runs_line_usd: number;
  /** One entry per day of the budget month, up to today (or the month's last day for a past month). */
  days: { day: string; spent_usd: number; cumulative_usd: number }[];
  /** Days in the budget month, so the chart's x axis spans the whole month. */
  days_in_month: number;
}

const dayMs = 86_400_000;

export function burnDown(app: App, month?: string): BurnDown {
  const status = app.services.guard.status(month);
  const totals = app.services.ledger.totals(status.month);
  const { start, end } = monthRange(status.month, app.config.budget.monthStartDay);
  const daysInMonth = Math.round((end.getTime() - start.getTime()) / dayMs);
  // The last day drawn: the last day with spend, or today while the month runs, whichever is later.
  const spentDays = Object.keys(totals.byDay).sort();
  const today = new Date(Math.min(Date.now(), end.getTime() - dayMs)).toISOString().slice(0, 10);
  const lastDay = [spentDays.at(-1) ?? '', today].sort().at(-1)!;
  const days: BurnDown['days'] = [];
  let cumulative = 0;
  for (let at = start.getTime(); at < end.getTime(); at += dayMs) {
    const day = new Date(at).toISOString().slice(0, 10);
    if (day > lastDay) break;
    const spent = totals.byDay[day] ?? 0;
    cumulative += spent;
    days.push({ day, spent_usd: round(spent), cumulative_usd: round(cumulative) });
  }
  return { month: status.month, budget_usd: status.budgetUsd, runs_line_usd: round(status.budgetUsd - status.reserveUsd), days, days_in_month: daysInMonth };
}

export interface ScoreHistogram {
  run_id: string;
  /** counts[i]: judged samples whose overall score rounds down to i (10 counts as 10); index 0..10. */
  counts: number[];
  approved: number[];
  unscored: number;
}

/** The judge's overall scores of a run in eleven buckets, with the approved share of each. */
export async function scoreHistogram(app: App, run: RunRecord): Promise<ScoreHistogram> {
  const index = await reviewStore(app.services).index(run);
  const counts = new Array<number>(11).fill(0);
  const approved = new Array<number>(11).fill(0);
  const approvedStatus = statusNames.indexOf('approved');
  let unscored = 0;
  for (let ordinal = 0; ordinal < index.size; ordinal++) {
    const score = index.scores[ordinal];
    if (score === undefined || !Number.isFinite(score)) {
      unscored++;
      continue;
    }
    const bucket = Math.max(0, Math.min(10, Math.floor(score)));
    counts[bucket]!++;
    if (index.status[ordinal] === approvedStatus) approved[bucket]!++;
  }
  return { run_id: run.id, counts, approved, unscored };
}

const round = (usd: number) => Math.round(usd * 1e6) / 1e6;
