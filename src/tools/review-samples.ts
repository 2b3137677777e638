/** review_samples: page through a run's judged samples with the judge's reasons, and approve, reject or edit them. */
import { CLIENT_INFO_META_KEY } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { reviewSamples, type ReviewResult } from '../review/review.js';
import { count, percent, usd } from '../util/format.js';
import { scoreHistogram, scoreHistogramMetaKey } from '../dashboard/data.js';
import { qualityExtras, qualityMetaKey } from '../dashboard/quality.js';
import { dashboardUri } from '../dashboard/page.js';
import { defineTool, type ToolContext } from './define.js';

const group = z.object({ name: z.string(), total: z.number(), approved: z.number(), rejected: z.number(), pending: z.number(), approval_rate: z.number().nullable() });

export const reviewSummaryOutput = z.object({
  total: z.number(),
  approved: z.number(),
  rejected: z.number(),
  pending: z.number(),
  approval_rate: z.number().nullable(),
  approval_target: z.number(),
  target_met: z.boolean().nullable(),
  by_difficulty: z.array(group),
  by_topic: z.array(group),
  topics_total: z.number(),
  by_stage: z.array(group),
  by_task_type: z.array(group),
  top_rejection_reasons: z.array(z.object({ reason: z.string(), count: z.number() })),
  human: z.object({ reviewed: z.number(), approved: z.number(), rejected: z.number(), edited: z.number() }),
  spent_usd: z.number(),
  cost_per_approved_usd: z.number().nullable(),
});

const sampleOutput = z.object({
  id: z.string(),
  status: z.string(),
  score: z.number().nullable(),
  scores: z.record(z.string(), z.number()),
  difficulty: z.string(),
  topic: z.string(),
  source: z.string(),
  location: z.string(),
  instruction: z.string(),
  input: z.string(),
  output: z.string(),
  reasoning: z.string(),
  judge: z.object({ by: z.string(), reason: z.string(), model: z.string().optional(), at: z.string().optional() }),
  human: z.object({ action: z.string(), by: z.string(), at: z.string(), note: z.string().optional(), decisions: z.number() }).optional(),
  original: z.object({ instruction: z.string(), output: z.string(), status: z.string() }).optional(),
  truncated: z.boolean(),
});

const text = (max: number) => z.string().max(max);

export const reviewSamplesInput = z.object({
  run_id: text(200).min(1).optional().describe('Run id (r-...) or readable name; default: the most recent run (or the run of cursor).'),
  status: z.enum(['approved', 'rejected', 'pending']).optional().describe('Only samples with this status (after human decisions).'),
  min_score: z.number().min(0).max(10).optional().describe("Only samples the judge scored at least this (overall, of 10)."),
  max_score: z.number().min(0).max(10).optional().describe('Only samples the judge scored at most this.'),
  difficulty: z.enum(['easy', 'medium', 'hard']).optional(),
  topic: text(200).optional().describe('Only samples whose topic (or first heading) contains this text.'),
  source: text(500).optional().describe('Only samples whose source (document file or domain) contains this text.'),
  query: text(500).optional().describe('Words that must all occur in the instruction, input, output or judge reason; a word also matches longer words it begins (case-insensitive).'),
  rejection_reason: text(200).optional().describe('Only rejected samples whose reason contains this text, e.g. "faithfulness", "evidence", "human".'),
  limit: z.int().min(1).max(100).optional().describe('Samples per page (default 10).'),
  cursor: text(2000).optional().describe('next_cursor from the previous page. It carries its filters and page size: pass it alone.'),
  max_chars: z.int().min(50).max(100_000).optional().describe('Clip each text field to this many characters (default 1200).'),
  decisions: z
    .array(
      z.object({
        sample_id: text(300).min(1),
        action: z.enum(['approve', 'reject', 'edit']),
        instruction: text(100_000).optional().describe('edit: the corrected instruction.'),
        output: text(200_000).optional().describe('edit: the corrected output.'),
        note: text(2000).optional().describe('Why; kept with the decision.'),
      }),
    )
    .max(500)
    .optional()
    .describe('Applied before the page is read. approve / reject set the status; edit replaces instruction and/or output and approves. The same decision twice changes nothing.'),
});

export const reviewSamplesTool = defineTool({
  name: 'review_samples',
  title: 'Review samples',
  description:
    "Shows a page of a run's judged samples with the judge's score and reason beside each, plus the run's summary: approval rate overall and by " +
    'difficulty, topic and stage, top rejection reasons, cost per approved pair and whether the 75% approval target is met. Filter by status, score ' +
    'range, difficulty, topic, source, words (query) or rejection reason; page with next_cursor. Pass decisions to approve, reject or edit samples ' +
    '(by id, with a note): they are recorded with who and when, keep the original text, survive restarts, and change the next export_dataset. ' +
    'Free: reads local files only. Use it when the user asks to see, check or fix the pairs of a run.',
  input: reviewSamplesInput,
  output: z.object({
    run_id: z.string(),
    run_name: z.string(),
    run_kind: z.string(),
    run_status: z.string(),
    samples: z.array(sampleOutput),
    matched: z.number(),
    next_cursor: z.string().nullable(),
    decisions: z.array(z.object({ sample_id: z.string(), action: z.string(), outcome: z.enum(['applied', 'confirmed', 'unchanged']), status_before: z.string(), status_after: z.string(), message: z.string() })),
    summary: reviewSummaryOutput,
    notes: z.array(z.string()),
  }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  ui: dashboardUri,
  async handle(input, context) {
    const { run_id, limit, cursor, decisions, max_chars, ...filter } = input;
    const result = await reviewSamples(context.app, { run_id, limit, cursor, decisions, max_chars, filter, who: reviewer(context) });
    const notes = notesFor(result);
    return {
      text: describeReview(result, notes),
      meta: {
        [scoreHistogramMetaKey]: await scoreHistogram(context.app, result.run),
        [qualityMetaKey]: await qualityExtras(context.app, result.run, result.summary.top_rejection_reasons, result.samples.map((sample) => sample.id)),
      },
      structured: {
        run_id: result.run.id,
        run_name: result.run.name,
        run_kind: result.run.kind,
        run_status: result.run.status,
        samples: result.samples,
        matched: result.matched,
        next_cursor: result.next_cursor,
        decisions: result.decisions,
        summary: result.summary,
        notes,
      },
    };
  },
});

/** 'human' on the command line; in chat, the MCP client that relayed the person's decision. */
export function reviewer(context: ToolContext): string {
  if (!context.mcp) return 'human';
  const envelope = context.mcp.mcpReq.envelope as Record<string, { name?: unknown } | undefined> | undefined;
  const fromEnvelope = envelope?.[CLIENT_INFO_META_KEY]?.name;
  return (typeof fromEnvelope === 'string' && fromEnvelope) || context.clientName?.() || 'mcp-client';
}

function notesFor(result: ReviewResult): string[] {
  const notes: string[] = [];
  if (!result.samples_file_found) notes.push(`Run ${result.run.id} has no judged samples yet (its ${result.run.kind} samples file is not there).`);
  if (result.run.status === 'running') notes.push('The run is still going: counts will grow.');
  if (result.skipped_lines > 0) notes.push(`${count(result.skipped_lines, 'line')} of the samples file could not be read as samples and were skipped.`);
  return notes;
}

const clipText = (value: string, max = 280) => (value.length > max ? `${value.slice(0, max)}…` : value).replace(/\s+/g, ' ');

export function describeReview(result: ReviewResult, notes: string[] = []): string {
  const { summary } = result;
  const rate = summary.approval_rate === null ? 'no judged samples yet' : `${percent(summary.approval_rate)} approved (target 75% ${summary.target_met ? 'met' : 'not met'})`;
  const cost = summary.cost_per_approved_usd === null ? `${usd(summary.spent_usd)} spent` : `${usd(summary.spent_usd)} spent, ${usd(summary.cost_per_approved_usd)} per approved pair`;
  const reasons = summary.top_rejection_reasons.slice(0, 3).map((reason) => `${reason.reason} ×${reason.count}`).join('; ');
  const lines = [
    `Run ${result.run.id} (${result.run.name}): ${count(summary.total, 'judged sample')}, ${summary.approved} approved, ${summary.rejected} rejected${summary.pending ? `, ${summary.pending} pending` : ''}; ${rate}; ${cost}.` +
      (reasons ? ` Top rejection reasons: ${reasons}.` : '') +
      (summary.human.reviewed ? ` ${summary.human.reviewed} reviewed by a person.` : ''),
    ...notes,
  ];
  for (const decision of result.decisions) lines.push(`Decision on ${decision.sample_id} (${decision.action}): ${decision.outcome}. ${decision.message}`);
  lines.push(`${count(result.matched, 'sample')} match${result.matched === 1 ? 'es' : ''}; showing ${result.samples.length}${result.next_cursor ? ' (more: pass next_cursor)' : ''}.`);
  for (const sample of result.samples) {
    const score = sample.score === null ? '' : ` · ${sample.score}`;
    lines.push(
      `\n[${sample.status}${score} · ${sample.difficulty}] ${sample.id}${sample.human ? ` (human: ${sample.human.action} by ${sample.human.by})` : ''}`,
      ...(sample.location ? [`From: ${sample.location}`] : []),
      `Q: ${clipText(sample.instruction)}`,
      `A: ${clipText(sample.output)}`,
      `Judge: ${clipText(sample.judge.reason, 200)}`,
    );
  }
  return lines.join('\n');
}
