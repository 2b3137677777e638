/** set_budget: change the monthly budget; runs paused because the budget ran out resume when it now covers them. */
import { z } from 'zod';
import { usd } from '../util/format.js';
import { defineTool } from './define.js';

export const setBudgetTool = defineTool({
  name: 'set_budget',
  title: 'Set the monthly budget',
  description:
    'Sets the monthly LLM budget in US dollars. The value is saved in Distillery\'s catalog, so it survives restarts and takes precedence over ' +
    'DISTILLERY_BUDGET_USD; pass null to go back to the configured value. Raising it resumes runs that paused because the month\'s budget ran out ' +
    '(runs paused on their own max_usd need resume_run with a higher max_usd). Lowering it never stops calls in flight, but new calls are held to it. ' +
    'It spends nothing itself; resumed runs continue spending in the background.',
  input: z.object({
    monthly_budget_usd: z.number().min(0).max(100_000).nullable().describe('The new monthly budget in US dollars, or null for the configured DISTILLERY_BUDGET_USD / config file value.'),
  }),
  output: z.object({
    previous_budget_usd: z.number(),
    budget_usd: z.number(),
    source: z.enum(['set_budget', 'config']),
    month: z.string(),
    spent_usd: z.number(),
    available_for_runs_usd: z.number(),
    resumed_runs: z.array(z.object({ run_id: z.string(), name: z.string() })),
    still_paused: z.array(z.object({ run_id: z.string(), name: z.string(), reason: z.string() })),
    alerts: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  async handle(input, { app }) {
    const { guard, catalog } = app.services;
    const previous = guard.monthlyUsd;
    const next = input.monthly_budget_usd ?? app.config.budget.monthlyUsd;
    // Saved first: a budget that could not be saved must not silently apply only until the next restart.
    await catalog.updateSettings({ monthlyBudgetUsd: input.monthly_budget_usd ?? undefined });
    guard.setMonthlyBudget(next);
    const resumedIds = await app.engine.resumeBudgetPaused();
    const resumed = resumedIds.map((id) => app.engine.get(id)).map((run) => ({ run_id: run.id, name: run.name }));
    const status = guard.status();
    const stillPaused = catalog
      .listRuns({ status: 'paused' })
      .filter((run) => run.pause?.reason === 'budget')
      .map((run) => {
        const needed = run.pause?.figures?.needed_usd ?? 0;
        const reason = run.pause?.figures?.scope_run
          ? `paused on its own max_usd${typeof run.params.max_usd === 'number' ? ` of ${usd(run.params.max_usd)}` : ''}: resume_run with a higher max_usd`
          : `its next call needs about ${usd(needed)} and ${usd(status.availableForRunsUsd)} is available for runs`;
        return { run_id: run.id, name: run.name, reason };
      });
    const change = next === previous ? `The monthly budget stays ${usd(next)}` : `The monthly budget is now ${usd(next)} (was ${usd(previous)})`;
    const source = input.monthly_budget_usd === null ? ', the configured value' : ', saved';
    const lines = [`${change}${source}. ${status.month}: ${usd(status.spentUsd)} spent, ${usd(status.availableForRunsUsd)} available for runs (${usd(status.reserveUsd)} reserve kept back).`];
    if (resumed.length) lines.push(`Resumed ${resumed.map((run) => `${run.run_id} (${run.name})`).join(', ')}: follow ${resumed.length === 1 ? 'it' : 'them'} with run_status.`);
    for (const run of stillPaused) lines.push(`Still paused: ${run.run_id} (${run.name}): ${run.reason}.`);
    for (const alert of status.alerts) lines.push(`Alert: ${alert}`);
    return {
      text: lines.join(' '),
      structured: {
        previous_budget_usd: previous,
        budget_usd: next,
        source: input.monthly_budget_usd === null ? ('config' as const) : ('set_budget' as const),
        month: status.month,
        spent_usd: status.spentUsd,
        available_for_runs_usd: status.availableForRunsUsd,
        resumed_runs: resumed,
        still_paused: stillPaused,
        alerts: status.alerts,
      },
    };
  },
});
