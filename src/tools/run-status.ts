/** run_status: a run's progress, optionally waiting for it to finish with progress notifications. */
import { z } from 'zod';
import { dashboardUri } from '../dashboard/page.js';
import { defineTool } from './define.js';
import { describeRun, runReference, runView, viewRun } from './run-view.js';

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
