/** cancel_run: stops a run, keeping what it produced and spent. */
import { z } from 'zod';
import { defineTool } from './define.js';
import { describeRun, runReference, runView, viewRun } from './run-view.js';

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
