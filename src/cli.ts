#!/usr/bin/env node
/**
 * The distillery command: `serve` (stdio for Claude Desktop, or --http) and run commands over the
 * same engine and tool code, with a progress bar.
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { createApp, version, type App } from './app.js';
import { loadConfig } from './config.js';
import { DistilleryError, errorMessage } from './errors.js';
import type { ToolContext, ToolDefinition } from './tools/define.js';
import { budgetStatusTool } from './tools/budget-status.js';
import { planBudgetTool } from './tools/plan-budget.js';
import { checkSetupTool } from './tools/check-setup.js';
import { distillFileTool } from './tools/distill-file.js';
import { startCascadeTool } from './tools/start-cascade.js';
import { listRunsTool } from './tools/list-runs.js';
import { resumeRunTool } from './tools/resume-run.js';
import { exportDatasetTool } from './tools/export-dataset.js';
import { startEnsembleTool } from './tools/start-ensemble.js';
import { evaluateModelTool } from './tools/evaluate-model.js';
import { watchRun } from './cli-progress.js';
import { acquireHomeLock } from './store/home-lock.js';
import { refuseUnknownFlags } from './cli-flags.js';

const usage = `distillery ${version}: turn an LLM budget into fine-tuning datasets

Usage:
  distillery serve                      MCP over stdio (for Claude Desktop)
  distillery serve --http [--port 8787] [--host 127.0.0.1]
                                        MCP over Streamable HTTP at /mcp, health at /healthz, the dashboard at /dashboard
  distillery dashboard [--port 8787] [--host 127.0.0.1]
                                        serve --http and print the dashboard's address (budget, runs, review, export)
  distillery distill --input FILE [--pairs-per-chunk N] [--chunk-tokens N] [--overlap-tokens N]
                     [--min-score N] [--max-usd N] [--dry-run] [--batch | --mode live|batch|auto] [--no-off-peak]
  distillery cascade --samples N --domain D [--target generated|approved] [--golden-fraction F]
                     [--stage-a-only] [--pairs-per-call N] [--min-score N] [--max-usd N] [--dry-run]
                     [--batch | --mode M] [--no-off-peak]
                                        --target approved: N pairs approved (train plus golden), not N generated
                                        D: medical, legal, finance, software_engineering, customer_support,
                                        education, general, a template in DISTILLERY_HOME/domains, or free text
  distillery ensemble --prompts FILE | --run RUN_ID | --domain D [--samples N]
                     [--teachers provider/model,...] [--min-score N] [--min-agreement N] [--max-usd N] [--dry-run]
                     [--batch | --mode M] [--no-off-peak]   batch: half price through the batch APIs, within 24 h
  distillery resume RUN_ID [--max-usd N]  continue a paused or interrupted run
                     [--drop-teachers provider/model,...]  (an ensemble, without a failed teacher)
                     [--api-key K]      (an evaluation whose candidate needs its key again)
  distillery runs [--status S]          list runs
  distillery export [RUN_ID...] [--format jsonl|alpaca|sharegpt|openai|openai-dpo|llama-factory|axolotl]
                     [--split train|golden|all] [--min-score N] [--reasoning think|omit] [--system TEXT]
                     [--style alpaca|sharegpt|openai] [--base-model HF_ID] [--language en] [--name NAME] [--path DIR]
                                        write approved samples (default: latest run, jsonl, all)
  distillery eval --model M --base-url URL [--run RUN_ID | --path EXPORT_DIR] [--api-key K]
                     [--baseline provider/model] [--judge provider/model] [--max-usd N] [--dry-run]
                                        judge a model at an OpenAI-compatible URL against a baseline on a golden set
  distillery budget [--month YYYY-MM]   budget status
  distillery plan [--budget N] [--next-month] [--batch | --mode M]
                                        a month plan: which runs, their cost range and outputs (calls no model)
  distillery setup                      check keys, models, prices and folders

Configuration comes from environment variables and .env (see README).`;

const options = {
  http: { type: 'boolean' },
  port: { type: 'string' },
  host: { type: 'string' },
  input: { type: 'string', short: 'i' },
  'pairs-per-chunk': { type: 'string' },
  'chunk-tokens': { type: 'string' },
  'overlap-tokens': { type: 'string' },
  'min-score': { type: 'string' },
  'max-usd': { type: 'string' },
  'dry-run': { type: 'boolean' },
  target: { type: 'string' },
  prompts: { type: 'string' },
  run: { type: 'string' },
  domain: { type: 'string' },
  samples: { type: 'string' },
  teachers: { type: 'string' },
  'min-agreement': { type: 'string' },
  'golden-fraction': { type: 'string' },
  'stage-a-only': { type: 'boolean' },
  'pairs-per-call': { type: 'string' },
  'drop-teachers': { type: 'string' },
  status: { type: 'string' },
  format: { type: 'string' },
  split: { type: 'string' },
  reasoning: { type: 'string' },
  system: { type: 'string' },
  style: { type: 'string' },
  'base-model': { type: 'string' },
  model: { type: 'string' },
  'base-url': { type: 'string' },
  'api-key': { type: 'string' },
  baseline: { type: 'string' },
  judge: { type: 'string' },
  language: { type: 'string' },
  name: { type: 'string' },
  path: { type: 'string' },
  month: { type: 'string' },
  budget: { type: 'string' },
  'next-month': { type: 'boolean' },
  batch: { type: 'boolean' },
  mode: { type: 'string' },
  'no-off-peak': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The flags each command reads (help and version go with any); any other is refused by name. */
const commandFlags: Record<string, readonly (keyof typeof options)[]> = {
  serve: ['http', 'port', 'host'],
  dashboard: ['port', 'host'],
  setup: [],
  budget: ['month'],
  plan: ['budget', 'next-month', 'batch', 'mode'],
  runs: ['status'],
  distill: ['input', 'pairs-per-chunk', 'chunk-tokens', 'overlap-tokens', 'min-score', 'max-usd', 'dry-run', 'batch', 'mode', 'no-off-peak'],
  cascade: ['domain', 'samples', 'target', 'golden-fraction', 'stage-a-only', 'pairs-per-call', 'min-score', 'max-usd', 'dry-run', 'batch', 'mode', 'no-off-peak'],
  ensemble: ['prompts', 'run', 'domain', 'samples', 'teachers', 'min-score', 'min-agreement', 'max-usd', 'dry-run', 'batch', 'mode', 'no-off-peak'],
  eval: ['run', 'path', 'model', 'base-url', 'api-key', 'baseline', 'judge', 'max-usd', 'dry-run'],
  export: ['format', 'split', 'min-score', 'reasoning', 'system', 'style', 'base-model', 'language', 'name', 'path'],
  resume: ['max-usd', 'drop-teachers', 'api-key'],
};

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

/** --batch is --mode batch; --no-off-peak sends DeepSeek calls at once in batch and auto mode. */
function runMode(values: Values): { mode?: string; deepseek_off_peak?: boolean } {
  if (values.batch && values.mode && values.mode !== 'batch') throw new DistilleryError('input_invalid', `--batch and --mode ${values.mode} disagree: pass one of them.`);
  return { mode: values.batch ? 'batch' : values.mode, ...(values['no-off-peak'] ? { deepseek_off_peak: false } : {}) };
}

function number(values: Values, name: keyof Values): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed)) throw new DistilleryError('input_invalid', `--${name} must be a number, not "${raw}".`);
  return parsed;
}

/** A comma-separated option as a list (teachers). */
function list(raw: string | undefined): string[] | undefined {
  return raw === undefined ? undefined : raw.split(',').map((item) => item.trim()).filter(Boolean);
}

async function runTool<I, O>(app: App, tool: ToolDefinition<never, never> | ToolDefinition<any, any>, input: I): Promise<{ text: string; structured: O }> {
  const parsed = tool.input.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue?.path[0] === undefined ? '' : `--${String(issue.path[0]).replace(/_/g, '-')}: `;
    throw new DistilleryError('input_invalid', `${flag}${issue?.message}`);
  }
  const context: ToolContext = { app, roots: async () => [...app.config.roots], progress: async () => undefined };
  return tool.handle(parsed.data as never, context) as Promise<{ text: string; structured: O }>;
}

/** Runs a start tool, prints its reply, and follows the run it started (a dry run starts none). */
async function startAndWatch(app: App, tool: Parameters<typeof runTool>[1], input: unknown): Promise<number> {
  const result = await runTool<unknown, { run_id: string | null }>(app, tool, input);
  console.log(result.text);
  if (result.structured.run_id) return watchRun(app, result.structured.run_id);
  await app.close();
  return 0;
}

/** The MCP server modules load here only: run commands (cascade, distill, ...) start without them. */
async function serve(app: App, values: Values, dashboard = false): Promise<void> {
  app.engine.watchBudgetMonths();
  void app.engine.resumeBatchesOut().catch((error) => app.services.log.warn('could not resume runs with batches out', { error: errorMessage(error) }));
  if (!values.http && !dashboard) {
    const [{ createServer }, { serveStdio }] = await Promise.all([import('./server.js'), import('@modelcontextprotocol/server/stdio')]);
    const handle = await serveStdio(() => createServer(app), { onerror: (error) => app.services.log.warn('stdio error', { error: error.message }) });
    const stop = async () => {
      await handle.close();
      await app.close();
      process.exit(0);
    };
    process.stdin.on('end', stop);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    return;
  }
  const host = values.host ?? '127.0.0.1';
  const port = number(values, 'port') ?? 8787;
  const [{ createHttpApp }, { serve: serveNode }] = await Promise.all([import('./http.js'), import('@hono/node-server')]);
  const { hono, close } = createHttpApp(app, { host, port });
  const server = serveNode({ fetch: hono.fetch, hostname: host, port }, (info) => {
    const base = `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
    process.stderr.write(`Distillery ${version} serving MCP at ${base}/mcp (health: /healthz, dashboard: /dashboard)\n`);
    // The token is never printed: the person adds it to the address themselves.
    if (dashboard) console.log(`Dashboard: ${base}/dashboard${app.config.token ? '#token=<your DISTILLERY_TOKEN>' : ''}  (Ctrl-C stops it)`);
  });
  const stop = async () => {
    server.close();
    await close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(argv: string[]): Promise<number> {
  refuseUnknownFlags(argv, options, commandFlags);
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const command = positionals[0];
  if (values.version) return console.log(version), 0;
  if (values.help || !command) return console.log(usage), command || values.help ? 0 : 1;
  const config = loadConfig();
  // Only commands that run the engine write the home: they take its lock (one writer at a time) and
  // take over runs left `running`. A read-only command or a dry run beside the MCP server does neither.
  const writes = ['serve', 'dashboard', 'distill', 'cascade', 'ensemble', 'eval', 'resume'].includes(command) && !values['dry-run'];
  if (writes) await acquireHomeLock(config.home, command);
  const app = await createApp(config, { recover: writes });
  switch (command) {
    case 'serve':
      await serve(app, values);
      return -1; // keep running
    case 'dashboard':
      await serve(app, values, true);
      return -1;
    case 'setup':
      console.log((await runTool(app, checkSetupTool, {})).text);
      break;
    case 'budget':
      console.log((await runTool(app, budgetStatusTool, { month: values.month })).text);
      break;
    case 'plan':
      console.log((await runTool(app, planBudgetTool, { budget_usd: number(values, 'budget'), month: values['next-month'] ? 'next' : undefined, mode: runMode(values).mode })).text);
      break;
    case 'runs':
      console.log((await runTool(app, listRunsTool, { status: values.status })).text);
      break;
    case 'distill': {
      if (!values.input) throw new DistilleryError('input_invalid', 'distill needs --input FILE or --input FOLDER/ (PDF, DOCX, HTML, EPUB, .txt or .md, inside DISTILLERY_ROOTS).');
      return startAndWatch(app, distillFileTool, {
        path: values.input,
        pairs_per_chunk: number(values, 'pairs-per-chunk'),
        chunk_tokens: number(values, 'chunk-tokens'),
        overlap_tokens: number(values, 'overlap-tokens'),
        min_score: number(values, 'min-score'),
        max_usd: number(values, 'max-usd'),
        dry_run: values['dry-run'],
        ...runMode(values),
      });
    }
    case 'cascade': {
      if (!values.domain || values.samples === undefined) throw new DistilleryError('input_invalid', 'cascade needs --samples N and --domain D (a template such as medical, or free text such as "veterinary dermatology").');
      return startAndWatch(app, startCascadeTool, {
        domain: values.domain,
        samples: number(values, 'samples'),
        target: values.target,
        golden_fraction: number(values, 'golden-fraction'),
        stage_a_only: values['stage-a-only'],
        pairs_per_call: number(values, 'pairs-per-call'),
        min_score: number(values, 'min-score'),
        max_usd: number(values, 'max-usd'),
        dry_run: values['dry-run'],
        ...runMode(values),
      });
    }
    case 'ensemble': {
      return startAndWatch(app, startEnsembleTool, {
        prompts_file: values.prompts,
        run_id: values.run,
        domain: values.domain,
        samples: number(values, 'samples'),
        teachers: list(values.teachers),
        min_score: number(values, 'min-score'),
        min_agreement: number(values, 'min-agreement'),
        max_usd: number(values, 'max-usd'),
        dry_run: values['dry-run'],
        ...runMode(values),
      });
    }
    case 'eval': {
      if (!values.model || !values['base-url']) throw new DistilleryError('input_invalid', 'eval needs --model M and --base-url URL (the candidate, e.g. --base-url http://127.0.0.1:11434/v1 for Ollama).');
      return startAndWatch(app, evaluateModelTool, {
        run_id: values.run,
        path: values.path,
        model: values.model,
        base_url: values['base-url'],
        api_key: values['api-key'],
        baseline_model: values.baseline,
        judge: values.judge,
        max_usd: number(values, 'max-usd'),
        dry_run: values['dry-run'],
      });
    }
    case 'export': {
      const result = await runTool(app, exportDatasetTool, {
        run_ids: positionals.length > 1 ? positionals.slice(1) : undefined,
        format: values.format,
        split: values.split,
        min_score: number(values, 'min-score'),
        reasoning: values.reasoning,
        system_prompt: values.system,
        llama_factory_style: values.style,
        base_model: values['base-model'],
        language: values.language,
        name: values.name,
        path: values.path,
      });
      console.log(result.text);
      break;
    }
    case 'resume': {
      const result = await runTool<unknown, { run_id: string }>(app, resumeRunTool, { run_id: positionals[1], max_usd: number(values, 'max-usd'), drop_teachers: list(values['drop-teachers']), api_key: values['api-key'] });
      console.log(result.text);
      return watchRun(app, result.structured.run_id);
    }
    default:
      console.error(`Unknown command "${command}".\n\n${usage}`);
      await app.close();
      return 1;
  }
  await app.close();
  return 0;
}

// A run keeps every call's objects alive for as long as the call is in flight, so they outlive the
// young generation and die in the old one. By default V8 lets the old generation grow to about four
// times what survived the last full collection before collecting again; Distillery is a long batch
// process, so it collects at 1.5 times instead: peak memory follows the live data, for a few percent
// more GC time (bench/RESULTS.md has the peak of a 10,000-sample cascade).
setFlagsFromString('--heap-growing-percent=50');

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    const known = error instanceof DistilleryError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`distillery: ${known ? (error as Error).message : `unexpected error: ${errorMessage(error)}`}\n`);
    process.exitCode = known ? 2 : 1;
  },
);
