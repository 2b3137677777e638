/**
 * Builds the MCP server from an App. The same factory serves stdio and HTTP, 2025-era clients
 * (Claude Desktop) and 2026-07-28 clients.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { McpServer, type ServerContext } from '@modelcontextprotocol/server';
import type { App } from './app.js';
import { version } from './app.js';
import { InputError } from './errors.js';
import { registerTool } from './tools/define.js';
import { tools } from './tools/index.js';
import { registerMcpPrompts } from './mcp-prompts.js';
import { registerResources } from './resources.js';
import { registerDashboardResource } from './dashboard-resource.js';

export const instructions = `Distillery turns the user's monthly LLM budget into fine-tuning datasets.
Workflow: check_setup (keys, models, prices) -> budget_status / plan_budget (what is left, what fits) -> estimate with dry_run: true -> start -> poll run_status -> review_samples -> export_dataset.
Which system: the user's own documents -> distill_file (most cost-effective; list_documents shows what can be read, and a bare file name such as "legal_guide.txt" is enough). Lots of diverse pairs for a domain and no documents -> start_cascade (stage_a_only: true for raw pairs only on a small budget). Maximum quality, or preference pairs for DPO -> start_ensemble.
Runs are background jobs: starting returns a run_id at once; poll run_status (it defaults to the latest run) every 20-60 seconds rather than waiting.
Money: every call is reserved against the budget before it is sent; a run that cannot be covered pauses with reason "budget", and resume_run (or set_budget, for the month's budget) continues it without paying twice.
Report dollars with their units, and quote the tool's own summary when it answers the user's question.`;

export function createServer(app: App): McpServer {
  const server = new McpServer({ name: 'distillery', version }, { instructions, capabilities: { tools: {}, prompts: {}, completions: {}, resources: {}, logging: {} } });
  let clientRoots: Promise<string[] | undefined> | undefined;
  const roots = async (ctx: ServerContext): Promise<string[]> => {
    clientRoots ??= fetchClientRoots(server, ctx);
    const offered = await clientRoots;
    const narrowed = narrowRoots(app.config.roots, offered);
    if (narrowed.length === 0) {
      throw new InputError(
        `The folders this client shares (${offered?.join(', ')}) and DISTILLERY_ROOTS (${app.config.roots.join(', ')}) have none in common, so no document may be read. Share a folder inside DISTILLERY_ROOTS with the client, or add one to DISTILLERY_ROOTS.`,
        'roots_disjoint',
      );
    }
    return narrowed;
  };
  for (const tool of tools) registerTool(server, app, tool, roots);
  registerMcpPrompts(server, app);
  registerResources(server, app);
  registerDashboardResource(server);
  return server;
}

/** The client's MCP roots, where it offers them (2025-era clients such as Claude Desktop). */
async function fetchClientRoots(server: McpServer, _ctx: ServerContext): Promise<string[] | undefined> {
  if (!server.server.getClientCapabilities()?.roots) return undefined;
  try {
    const result = await server.server.listRoots(undefined, { timeout: 5000 });
    return result.roots.filter((root) => root.uri.startsWith('file://')).map((root) => fileURLToPath(root.uri));
  } catch {
    return undefined;
  }
}

/** DISTILLERY_ROOTS narrowed by the client's roots: only folders allowed by both stay. */
export function narrowRoots(configured: readonly string[], client: string[] | undefined): string[] {
  if (!client || client.length === 0) return [...configured];
  const inside = (child: string, parent: string) => {
    const relative = path.relative(parent, child);
    return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
  };
  const narrowed = new Set<string>();
  for (const root of configured) {
    for (const offered of client) {
      if (inside(offered, root)) narrowed.add(offered);
      else if (inside(root, offered)) narrowed.add(root);
    }
  }
  return [...narrowed];
}
