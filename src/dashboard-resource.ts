/**
 * The dashboard as an MCP App: the ui:// resource that budget_status, run_status and review_samples
 * name in `_meta.ui.resourceUri`. Its CSP metadata is empty on purpose: the page's scripts, styles
 * and charts are all inlined, and it reaches the server only through the host (tools/call).
 */
import { RESOURCE_MIME_TYPE, registerAppResource } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/server';
import { dashboardHtml, dashboardUri } from './dashboard/page.js';

/** No origin at all: no fetch, no script, style, font or image from the network, no frames. */
export const dashboardCsp = { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] };

export function registerDashboardResource(server: McpServer): void {
  const meta = { ui: { csp: dashboardCsp, prefersBorder: true } };
  registerAppResource(
    server,
    'dashboard',
    dashboardUri,
    { title: 'Distillery dashboard', description: 'Budget burn-down, run funnel, quality and keyboard review for Distillery runs.', mimeType: RESOURCE_MIME_TYPE, _meta: meta },
    async () => ({ contents: [{ uri: dashboardUri, mimeType: RESOURCE_MIME_TYPE, text: await dashboardHtml(), _meta: meta }] }),
  );
}
