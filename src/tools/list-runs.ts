/** list_runs: runs newest first, optionally of one status. */
import { z } from 'zod';
import { defineTool } from './define.js';
import { describeRun, runView, viewRun } from './run-view.js';

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
