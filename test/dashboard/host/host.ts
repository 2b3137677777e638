/**
 * A chat client's side of MCP Apps, as Claude Desktop does it, on ext-apps' AppBridge: the ui://
 * page goes into a sandboxed iframe (scripts only, opaque origin) under a CSP built from the
 * resource's declared domains, gets the tool input and result, and its tool calls go to the MCP
 * server through the test's real MCP client (exposed to this page as window.callServerTool).
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

import type { Csp, OpenRequest } from './open-request.js';

declare global {
  interface Window {
    callServerTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<Record<string, unknown>>;
    openApp(request: OpenRequest): Promise<void>;
    appReady: boolean;
  }
}

/** What the host enforces: only the origins the resource declared, and inline code (the page is one file). */
function cspFor(csp: Csp): string {
  const list = (domains: string[] | undefined) => (domains?.length ? domains.join(' ') : "'none'");
  const resources = csp.resourceDomains?.length ? ` ${csp.resourceDomains.join(' ')}` : '';
  return [
    "default-src 'none'",
    `script-src 'unsafe-inline'${resources}`,
    `style-src 'unsafe-inline'${resources}`,
    `img-src data:${resources}`,
    `font-src data:${resources}`,
    `connect-src ${list(csp.connectDomains)}`,
    `frame-src ${list(csp.frameDomains)}`,
    `base-uri ${list(csp.baseUriDomains)}`,
  ].join('; ');
}

window.openApp = async (request) => {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.style.cssText = 'width:100%;height:900px;border:0';
  document.body.append(iframe);
  const bridge = new AppBridge(null, { name: 'distillery-test-host', version: '1.0.0' }, { serverTools: {}, logging: {} }, { hostContext: { toolInfo: { tool: request.tool as never }, theme: 'light', displayMode: 'inline' } });
  bridge.oncalltool = async (params) => (await window.callServerTool({ name: params.name, arguments: params.arguments })) as never;
  bridge.oninitialized = () => {
    void bridge.sendToolInput({ arguments: request.args }).then(() => bridge.sendToolResult(request.result as never)).then(() => (window.appReady = true));
  };
  await bridge.connect(new PostMessageTransport(iframe.contentWindow!, iframe.contentWindow!));
  const meta = `<meta http-equiv="Content-Security-Policy" content="${cspFor(request.csp)}">`;
  iframe.srcdoc = request.html.replace('<head>', `<head>${meta}`);
};
