/** budget_status: where the month's money went and what is left. */
import { z } from 'zod';
import { percent, usd } from '../util/format.js';
import { burnDown, burnDownMetaKey } from '../dashboard/data.js';
import { dashboardUri } from '../dashboard/page.js';
import { defineTool } from './define.js';

const money = z.record(z.string(), z.number());

export const budgetStatusTool = defineTool({
  name: 'budget_status',
  title: 'Budget status',
  description:
    'How much of the monthly LLM budget is spent, held for calls in flight, and left; the reserve kept back for retries; spend by provider, ' +
    'stage, model and run; alerts at 50%, 80% and 100%; and past months. Use it for "how much budget is left?". Free: it calls no model.',
  input: z.object({ month: z.string().regex(/^\d{4}-\d{2}$/, 'use YYYY-MM, e.g. 2026-11').optional().describe('YYYY-MM; default the current month.') }),
  output: z.object({
    month: z.string(),
    budget_usd: z.number(),
    reserve_usd: z.number(),
    spent_usd: z.number(),
    reserved_usd: z.number(),
    remaining_usd: z.number(),
    available_for_runs_usd: z.number(),
    percent_used: z.number(),
    calls: z.number(),
    alerts: z.array(z.string()),
    by_provider: money,
    by_stage: money,
    by_model: money,
    by_run: money,
    past_months: z.array(z.object({ month: z.string(), spent_usd: z.number(), calls: z.number() })),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  ui: dashboardUri,
  async handle(input, { app }) {
    const status = app.services.guard.status(input.month);
    // The guard's clock, not the wall clock: the month the budget is counted in.
    const current = input.month === undefined || input.month === app.services.guard.status().month;
    const top = (record: Record<string, number>) =>
      Object.entries(record).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([name, value]) => `${name} ${usd(value)}`).join(', ');
    const lines = [
      `${status.month}: ${usd(status.spentUsd)} of ${usd(status.budgetUsd)} spent (${percent(status.percentUsed / 100)})${status.reservedUsd > 0 ? `, ${usd(status.reservedUsd)} held for calls in flight` : ''}.`,
      current
        ? `${usd(status.availableForRunsUsd)} is available for runs; ${usd(status.reserveUsd)} more is kept in reserve for retries.`
        : `${status.calls} calls that month.`,
    ];
    if (status.calls > 0) lines.push(`By provider: ${top(status.byProvider)}. By run: ${top(status.byRun) || 'none'}.`);
    for (const alert of status.alerts) lines.push(`Alert: ${alert}`);
    if (status.pastMonths.length) lines.push(`Earlier months: ${status.pastMonths.slice(0, 3).map((m) => `${m.month} ${usd(m.spentUsd)}`).join(', ')}.`);
    return {
      text: lines.join(' '),
      meta: { [burnDownMetaKey]: burnDown(app, status.month) },
      structured: {
        month: status.month,
        budget_usd: status.budgetUsd,
        reserve_usd: status.reserveUsd,
        spent_usd: status.spentUsd,
        reserved_usd: status.reservedUsd,
        remaining_usd: status.remainingUsd,
        available_for_runs_usd: status.availableForRunsUsd,
        percent_used: status.percentUsed,
        calls: status.calls,
        alerts: status.alerts,
        by_provider: status.byProvider,
        by_stage: status.byStage,
        by_model: status.byModel,
        by_run: status.byRun,
        past_months: status.pastMonths.map((m) => ({ month: m.month, spent_usd: m.spentUsd, calls: m.calls })),
      },
    };
  },
});
