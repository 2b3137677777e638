/**
 * The dashboard in a browser: GET /dashboard serves the same page as the MCP App, and the page
 * calls the same tools in process through POST /dashboard/api/tools/{name}. Reads and decisions
 * alike must come from the page's own origin (no cross-site writes) and, when DISTILLERY_TOKEN is
 * set, carry it as a bearer token; the page itself holds no data and no secret.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { App } from './app.js';
import { callTool, type AnyTool, type ToolContext } from './tools/define.js';
import { budgetStatusTool } from './tools/budget-status.js';
import { listRunsTool } from './tools/list-runs.js';
import { runStatusTool } from './tools/run-status.js';
import { reviewSamplesTool } from './tools/review-samples.js';
import { exportDatasetTool } from './tools/export-dataset.js';
import { planBudgetTool } from './tools/plan-budget.js';
import { dashboardHtml } from './dashboard/page.js';

/** The tools the page calls: reading figures, paging and deciding on samples, exporting. None starts a paid run. */
const pageTools = new Map<string, AnyTool>([budgetStatusTool, runStatusTool, listRunsTool, reviewSamplesTool, exportDatasetTool, planBudgetTool].map((tool) => [tool.name, tool]));

/** The page inlines its scripts and styles and talks only to this server. */
export const pageSecurityHeaders = {
  'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export function mountDashboard(hono: Hono, app: App, requireToken: MiddlewareHandler | undefined): void {
  hono.get('/dashboard', async (c) => c.html(await dashboardHtml(), 200, pageSecurityHeaders));
  hono.use('/dashboard/api/*', sameOrigin);
  if (requireToken) hono.use('/dashboard/api/*', requireToken);
  hono.post('/dashboard/api/tools/:name', (c) => callPageTool(c, app));
}

/** A browser always sends Origin with a POST; it must name this very server (scheme, host and port). */
const sameOrigin: MiddlewareHandler = async (c, next) => {
  const origin = c.req.header('origin');
  const own = new URL(c.req.url);
  const expected = `${own.protocol}//${c.req.header('host') ?? own.host}`;
  if (origin !== expected) {
    return c.json({ error: 'forbidden_origin', message: `Dashboard requests must come from the dashboard page at ${expected}/dashboard (Origin was ${origin ?? 'missing'}).` }, 403);
  }
  await next();
};

async function callPageTool(c: Context, app: App): Promise<Response> {
  const name = c.req.param('name') ?? '';
  const tool = pageTools.get(name);
  if (!tool) return c.json({ error: 'unknown_tool', message: `The dashboard calls only ${[...pageTools.keys()].join(', ')}; "${name}" is not one of them.` }, 404);
  if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) {
    return c.json({ error: 'unsupported_media_type', message: 'Send the tool arguments as a JSON object with Content-Type: application/json.' }, 415);
  }
  const body: unknown = c.get('parsedBody' as never) ?? {};
  // Every tool's input refuses keys it does not declare (defineTool), with a message naming them.
  const parsed = tool.input.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    const text = issue.code === 'unrecognized_keys' && !issue.path.length ? issue.message : `${name}: ${where}${issue.message}. Fix that argument and try again.`;
    return c.json({ isError: true, content: [{ type: 'text', text }] }, 400);
  }
  const context: ToolContext = { app, roots: async () => [...app.config.roots], progress: async () => undefined };
  return c.json(await callTool(tool, parsed.data, context));
}
