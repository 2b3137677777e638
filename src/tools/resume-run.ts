/** resume_run: continues a run from its journal, optionally with a higher cap or fewer teachers. */
import { z } from 'zod';
import { defineTool } from './define.js';
import { describeRun, runReference, runView, viewRun } from './run-view.js';
import { ensembleResumeOverrides } from '../pipelines/ensemble/teachers.js';
import { resumeCandidate } from '../pipelines/evaluate/endpoint.js';

export const resumeRunTool = defineTool({
  name: 'resume_run',
  title: 'Resume a run',
  description:
    'Continues a paused, interrupted or cancelled run from its journal: finished calls are not paid again. ' +
    'Pass max_usd to raise the run cap when it paused on it. For an ensemble paused because one teacher\'s provider failed for good ' +
    '(billing, unknown model), pass drop_teachers to continue without it. An evaluation whose candidate needs a key takes api_key again after a restart ' +
    '(the key is kept in memory only). Returns at once; poll run_status.',
  input: z.object({
    run_id: runReference,
    max_usd: z.number().positive().max(100_000).optional().describe('New cap for this run in US dollars.'),
    drop_teachers: z.array(z.string().min(1).max(200)).min(1).max(8).optional().describe('Ensemble runs only: teachers to continue without, as provider/model or a provider name; at least two must remain.'),
    api_key: z.string().min(1).max(500).optional().describe("Evaluation runs only: the candidate endpoint's key again, needed after a restart (it is kept in memory only, never stored)."),
  }),
  output: runView,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handle(input, { app, mcp }) {
    const target = app.engine.get(input.run_id);
    if (input.api_key) resumeCandidate(app.services, target, input.api_key);
    const overrides = { ...(input.max_usd !== undefined ? { max_usd: input.max_usd } : {}), ...(input.drop_teachers ? ensembleResumeOverrides(target, input.drop_teachers) : {}) };
    const run = await app.engine.resume(target.id, overrides);
    const view = viewRun(app, run);
    // The command line follows the run itself (Ctrl-C cancels it); an MCP client polls.
    return { text: `Resumed. ${describeRun(view)} ${mcp ? 'Poll run_status for progress.' : 'Following it here; Ctrl-C cancels it.'}`, structured: view };
  },
});
