/**
 * Where the page gets its figures. Inside a chat client the page is an MCP App: the host hands it
 * the tool result it was opened with and relays its tool calls (ext-apps' App). In a browser it
 * was served from /dashboard and calls the same tools at /dashboard/api/tools/{name}.
 */
import { App } from '@modelcontextprotocol/ext-apps';
import type { ToolResult } from './types.js';

export interface Host {
  kind: 'mcp-app' | 'browser';
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
}

/** A tool result as it arrives: which tool produced it, when the host says so. */
export interface HostListener {
  input(toolName: string | undefined, args: Record<string, unknown>): void;
  result(result: ToolResult, toolName: string | undefined): void;
}

export async function connectHost(listener: HostListener): Promise<Host> {
  return window.parent !== window ? connectApp(listener) : browserHost();
}

async function connectApp(listener: HostListener): Promise<Host> {
  const app = new App({ name: 'distillery-dashboard', version: '1.0.0' }, {}, { autoResize: true });
  const toolName = () => app.getHostContext()?.toolInfo?.tool.name;
  app.ontoolinput = (params) => listener.input(toolName(), params.arguments ?? {});
  app.ontoolresult = (result) => listener.result(result as ToolResult, toolName());
  await app.connect();
  return {
    kind: 'mcp-app',
    call: async (name, args = {}) => (await app.callServerTool({ name, arguments: args })) as ToolResult,
  };
}

/** DISTILLERY_TOKEN, when the server needs one, travels in the URL fragment: never sent in a URL, never stored. */
function browserHost(): Host {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token) history.replaceState(null, '', location.pathname + location.search);
  return {
    kind: 'browser',
    async call(name, args = {}) {
      const response = await fetch(`/dashboard/api/tools/${encodeURIComponent(name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(args),
      });
      const body = (await response.json().catch(() => ({}))) as ToolResult & { message?: string };
      if (!response.ok && !body.isError) return { isError: true, content: [{ type: 'text', text: body.message ?? `${name} answered HTTP ${response.status}.` }] };
      return body;
    },
  };
}

/** The text of an error result, for the page's message line. */
export function errorText(result: ToolResult): string {
  return (result.content ?? []).map((block) => block.text ?? '').join(' ') || 'The tool failed without a message.';
}
