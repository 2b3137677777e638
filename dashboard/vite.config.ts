/**
 * Builds the dashboard page into one self-contained HTML file, dist/dashboard-page/index.html: every
 * script, style and chart inlined, so the page loads nothing from the network (MCP App CSP).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  plugins: [viteSingleFile({ removeViteModuleLoader: true })],
  build: { outDir: fileURLToPath(new URL('../dist/dashboard-page', import.meta.url)), emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
});
