/**
 * MCP prompts for the common flows, with completions for document names, domain templates and run ids, so a client
 * can offer "distill_document legal_guide.txt" from a menu.
 */
import { completable, type McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { App } from './app.js';
import { listDocuments } from './files/documents.js';
import { listDomains } from './pipelines/cascade/domains.js';

const user = (text: string) => ({ messages: [{ role: 'user' as const, content: { type: 'text' as const, text } }] });

export function registerMcpPrompts(server: McpServer, app: App): void {
  const documentNames = async (prefix: string) => {
    const { documents } = await listDocuments([...app.config.roots], { limit: 200 }).catch(() => ({ documents: [] }));
    const lower = prefix.toLowerCase();
    return documents.map((doc) => doc.relative).filter((name) => name.toLowerCase().includes(lower)).slice(0, 50);
  };
  const runIds = (prefix: string) =>
    app.services.catalog
      .listRuns({ limit: 100 })
      .filter((run) => run.id.startsWith(prefix) || run.name.toLowerCase().includes(prefix.toLowerCase()))
      .map((run) => run.id)
      .slice(0, 50);

  server.registerPrompt(
    'plan_month',
    {
      title: 'Plan this month',
      description: 'Plan how to spend this month\'s LLM budget on datasets: what is left, what each run would cost, in what order.',
      argsSchema: z.object({ goal: z.string().optional().describe('What you want to fine-tune, e.g. "a legal assistant for NC constitutional law"') }),
    },
    ({ goal }) =>
      user(
        `Help me plan this month's dataset work with Distillery${goal ? ` for: ${goal}` : ''}. ` +
          'First call check_setup and budget_status. Then list_documents, and for each document worth using call distill_file with dry_run: true to get its cost. ' +
          'Propose a plan that keeps the 20% reserve untouched: which runs, in what order, the expected cost and number of approved pairs of each, and what does not fit. ' +
          'Do not start any paid run until I confirm.',
      ),
  );

  server.registerPrompt(
    'distill_document',
    {
      title: 'Distill a document',
      description: 'Turn one of your documents into a validated Q&A dataset, checking the cost first.',
      argsSchema: z.object({ document: completable(z.string().describe('A document (PDF, DOCX, HTML, EPUB, .txt, .md) or folder name, e.g. tenancy_guide.pdf'), (value) => documentNames(value ?? '')) }),
    },
    ({ document }) =>
      user(
        `Distill ${document} with Distillery. Call distill_file with path "${document}" and dry_run: true, show me the estimate (chunks, pairs, cost range) and what is left of the budget, ` +
          'and ask me to confirm. After I confirm, start it without dry_run, then check run_status every minute or so and tell me the approval rate and spend until it completes.',
      ),
  );

  server.registerPrompt(
    'make_pairs',
    {
      title: 'Make pairs for a domain',
      description: 'Generate many diverse, validated Q&A pairs for a domain with the cascade, checking the cost first.',
      argsSchema: z.object({
        domain: completable(z.string().describe('A domain template (medical, legal, ...) or your own words'), (value) =>
          listDomains(app.config.home).map((domain) => domain.name).filter((name) => name.startsWith((value ?? '').toLowerCase())),
        ),
        samples: z.string().optional().describe('How many raw pairs, e.g. 10000'),
      }),
    },
    ({ domain, samples }) =>
      user(
        `Make ${samples ?? '1000'} ${domain} training pairs with Distillery. Call start_cascade with domain "${domain}", samples ${samples ?? 1000} and dry_run: true; ` +
          'show me the estimate (calls, cost range, approved and golden pairs expected) and the budget left, and suggest stage_a_only if it does not fit. ' +
          'Start it only after I confirm, then check run_status every minute or so until it completes.',
      ),
  );

  server.registerPrompt(
    'review_run',
    {
      title: 'Review a run',
      description: 'Go through a run\'s results: approval rate, spend, rejected samples and why.',
      argsSchema: z.object({ run_id: completable(z.string().describe('Run id; default the latest run'), (value) => runIds(value ?? '')).optional() }),
    },
    ({ run_id }) =>
      user(
        `Review Distillery run ${run_id ?? '(the latest one)'}: call run_status${run_id ? ` with run_id "${run_id}"` : ''} for its counts, approval rate and cost, ` +
          'then show me a few rejected samples with the judge\'s reasons (review_samples with status "rejected", if available) and the top rejection reasons. ' +
          'Suggest what to change (min_score, pairs_per_chunk, chunk size) if the approval rate is under 75%.',
      ),
  );
}
