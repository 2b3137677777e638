/**
 * A tool is a plain object: schemas, annotations and a handler that returns a short text for the
 * person reading the chat plus the full structure. Its input refuses unknown arguments by name;
 * registration turns thrown errors into clear, secret-free `isError` results.
 */
import type { McpServer, ServerContext, ToolAnnotations, CallToolResult } from '@modelcontextprotocol/server';
import { registerAppTool } from '@modelcontextprotocol/ext-apps/server';
import type { z } from 'zod';
import { redactSecrets } from '../config.js';
import { DistilleryError, errorMessage } from '../errors.js';
import type { App } from '../app.js';
import { refusingUnknown } from './known-arguments.js';

export interface ToolResult<O> {
  text: string;
  structured: O;
  /** Extra figures for the dashboard page (result `_meta`); clients without it read text and structured only. */
  meta?: Record<string, unknown>;
}

export interface ToolContext {
  app: App;
  /** Absent when a command-line command runs the tool. */
  mcp?: ServerContext;
  /** The allowed roots for this request: DISTILLERY_ROOTS narrowed by the client's MCP roots. */
  roots(): Promise<string[]>;
  /** The MCP client's name (from its initialize request), for recording who made a review decision. */
  clientName?(): string | undefined;
  /** Sends a progress notification when the client asked for them (a progressToken). */
  progress(progress: number, total: number | undefined, message: string): Promise<void>;
}

export interface ToolDefinition<I extends z.ZodObject, O extends z.ZodType> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** The `ui://` resource an MCP Apps client renders with this tool's results. */
  ui?: string;
  handle(input: z.infer<I>, context: ToolContext): Promise<ToolResult<z.infer<O>>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a heterogeneous list of tools
export type AnyTool = ToolDefinition<any, any>;

/** A tool's input refuses arguments it does not declare (known-arguments.ts), for MCP and the CLI alike. */
export function defineTool<I extends z.ZodObject, O extends z.ZodType>(definition: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return { ...definition, input: refusingUnknown(definition.input, definition.name) };
}

export function registerTool<I extends z.ZodObject, O extends z.ZodType>(
  server: McpServer,
  app: App,
  tool: ToolDefinition<I, O>,
  roots: (ctx: ServerContext) => Promise<string[]>,
): void {
  const config = { title: tool.title, description: tool.description, inputSchema: tool.input, outputSchema: tool.output, annotations: { title: tool.title, ...tool.annotations } };
  const callback = (async (input: z.infer<I>, mcp: ServerContext): Promise<CallToolResult> => {
    const progressToken = mcp.mcpReq._meta?.progressToken;
    const context: ToolContext = {
      app,
      mcp,
      roots: () => roots(mcp),
      clientName: () => server.server.getClientVersion()?.name,
      progress: async (progress, total, message) => {
        if (progressToken === undefined) return;
        await mcp.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, ...(total !== undefined ? { total } : {}), message } }).catch(() => undefined);
      },
    };
    return callTool(tool, input, context);
  }) as never;
  if (tool.ui) registerAppTool(server, tool.name, { ...config, _meta: { ui: { resourceUri: tool.ui } } }, callback);
  else server.registerTool(tool.name, config, callback);
}

/** Runs a tool as MCP returns it: the text and structure, or a clear, secret-free `isError` result. */
export async function callTool<I extends z.ZodObject, O extends z.ZodType>(tool: ToolDefinition<I, O>, input: z.infer<I>, context: ToolContext): Promise<CallToolResult> {
  const { app } = context;
  try {
    const result = await tool.handle(input, context);
    return {
      content: [{ type: 'text', text: redactSecrets(result.text, app.config) }],
      structuredContent: result.structured as Record<string, unknown>,
      ...(result.meta ? { _meta: result.meta } : {}),
    };
  } catch (error) {
    const known = error instanceof DistilleryError;
    if (!known) app.services.log.error('tool failed', { tool: tool.name, error: errorMessage(error) });
    const message = known ? error.message : `${tool.name} failed unexpectedly: ${errorMessage(error)}`;
    return { isError: true, content: [{ type: 'text', text: redactSecrets(message, app.config) }] };
  }
}
