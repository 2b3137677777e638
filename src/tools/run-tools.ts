/** run_status, list_runs, cancel_run and resume_run: watching and steering background runs. */
import { z } from 'zod';
import { dashboardUri } from '../dashboard/page.js';
import { defineTool } from './define.js';
import { describeRun, runView, viewRun } from './run-view.js';
import { ensembleResumeOverrides } from '../pipelines/ensemble/teachers.js';

const runReference = z.string().min(1).max(200).optional().describe('Run id (r-...) or readable name; default: the most recent run.');

export const runStatusTool = defineTool({
  name: 'run_status',
  title: 'Run status',
  description:
    'Progress of a background run: stage counts, pairs approved, dollars spent, time left, approval rate and the last errors. ' +
    'Runs started by distill_file keep going after the call returns: poll this every 20-60 seconds until status is completed, paused or failed. ' +
    'wait_seconds (up to 50) waits for the run to finish first, sending progress notifications meanwhile. ' +
    'budget_alerts repeats the month\'s budget alerts (50%, 80%, 100% spent, reserve reached).',
  input: z.object({ run_id: runReference, wait_seconds: z.int().min(0).max(50).optional() }),
  output: runView.extend({ budget_alerts: z.array(z.string()) }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  ui: dashboardUri,
  async handle(input, { app, progress }) {
    let run = app.engine.get(input.run_id);
    const deadline = Date.now() + (input.wait_seconds ?? 0) * 1000;
    while (app.engine.isActive(run.id) && Date.now() < deadline) {
      const live = app.engine.liveProgress(run.id);
      const fraction = live?.fractionDone();
      await progress(Math.round((fraction ?? 0) * 1000), 1000, describeRun(viewRun(app, run)));
      await Promise.race([app.engine.wait(run.id), new Promise((resolve) => setTimeout(resolve, Math.min(1000, deadline - Date.now())))]);
      run = app.engine.get(run.id);
    }
    const view = viewRun(app, run);
    // The month's alerts travel with the run, so a person watching a run learns the budget is running out.
    const alerts = app.services.guard.status().alerts;
    return { text: [describeRun(view), ...alerts.map((alert) => `Budget alert: ${alert}`)].join(' '), structured: { ...view, budget_alerts: alerts } };
  },
});

export const listRunsTool = defineTool({
  name: 'list_runs',
  title: 'List runs',
  description: 'Runs newest first, with status, spend and approval. Filter by status (running, paused, completed, failed, cancelled, interrupted).',
  input: z.object({
    status: z.enum(['running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted']).optional(),
    limit: z.int().min(1).max(200).optional().describe('At most this many runs (default 20).'),
  }),
  output: z.object({ runs: z.array(runView), total: z.number() }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handle(input, { app }) {
    const all = app.services.catalog.listRuns({ status: input.status });
    const runs = all.slice(0, input.limit ?? 20).map((run) => viewRun(app, run));
    const lines = runs.map((run) => `- ${describeRun(run)}`);
    const more = all.length > runs.length ? `\n(${all.length - runs.length} more; raise limit to see them.)` : '';
    const text = runs.length ? `${all.length} run${all.length === 1 ? '' : 's'}${input.status ? ` ${input.status}` : ''}:\n${lines.join('\n')}${more}` : 'No runs yet. Start one with distill_file (try dry_run: true first to see the cost).';
    return { text, structured: { runs, total: all.length } };
  },
});

export const cancelRunTool = defineTool({
  name: 'cancel_run',
  title: 'Cancel a run',
  description: 'Stops a run. What it already produced stays on disk and its spend stays in the ledger; resume_run can continue it later without paying again for finished calls.',
  input: z.object({ run_id: runReference }),
  output: runView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handle(input, { app }) {
    const run = await app.engine.cancel(app.engine.get(input.run_id).id);
    const view = viewRun(app, run);
    return { text: describeRun(view), structured: view };
  },
});

export const resumeRunTool = defineTool({
  name: 'resume_run',
  title: 'Resume a run',
  description:
    'Continues a paused, interrupted or cancelled run from its journal: finished calls are not paid again. ' +
    'Pass max_usd to raise the run cap when it paused on it. For an ensemble paused because one teacher\'s provider failed for good ' +
    '(billing, unknown model), pass drop_teachers to continue without it. Returns at once; poll run_status.',
  input: z.object({
    run_id: runReference,
    max_usd: z.number().positive().max(100_000).optional().describe('New cap for this run in US dollars.'),
    drop_teachers: z.array(z.string().min(1).max(200)).min(1).max(8).optional().describe('Ensemble runs only: teachers to continue without, as provider/model or a provider name; at least two must remain.'),
  }),
  output: runView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, mcp }) {
    const target = app.engine.get(input.run_id);
    const overrides = { ...(input.max_usd !== undefined ? { max_usd: input.max_usd } : {}), ...(input.drop_teachers ? ensembleResumeOverrides(target, input.drop_teachers) : {}) };
    const run = await app.engine.resume(target.id, overrides);
    const view = viewRun(app, run);
    // The command line follows the run itself (Ctrl-C cancels it); an MCP client polls.
    return { text: `Resumed. ${describeRun(view)} ${mcp ? 'Poll run_status for progress.' : 'Following it here; Ctrl-C cancels it.'}`, structured: view };
  },
});
