/** What the test host's window.openApp takes: the ui:// page, its CSP metadata, and the tool call it shows. */
export interface Csp {
  connectDomains?: string[];
  resourceDomains?: string[];
  frameDomains?: string[];
  baseUriDomains?: string[];
}

export interface OpenRequest {
  html: string;
  csp: Csp;
  tool: { name: string; inputSchema: Record<string, unknown> };
  args: Record<string, unknown>;
  result: Record<string, unknown>;
}

/** The host page's globals, as the test calls them. */
export interface HostWindow {
  openApp(request: OpenRequest): Promise<void>;
  appReady?: boolean;
}
