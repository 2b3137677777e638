/** The reply the three start tools (distill_file, start_cascade, start_ensemble) share around their own plan text. */
import { usd, usdRange } from '../util/format.js';

/**
 * Started (and how to follow it) or a dry run (and how to start), then any warnings. An MCP client
 * is pointed at the tools; the command line (no `mcp` in the tool context) follows the run itself,
 * so it is told what its own keys and flags do.
 */
export function startReply(tool: string, run: { id: string; name: string } | undefined, plan: string, warnings: string[], viaMcp: boolean): string {
  const notes = warnings.map((warning) => ` ${warning}`).join('');
  const opening = run ? `Started run ${run.id} (${run.name}).` : 'Dry run, nothing spent.';
  const next = run
    ? viaMcp ? 'It runs in the background: check it with run_status.' : `Following it here; Ctrl-C cancels it, and distillery resume ${run.id} continues it later.`
    : viaMcp ? `Call ${tool} again without dry_run to start.` : 'Run the same command without --dry-run to start.';
  return `${opening} ${plan} ${next}${notes}`;
}

/** ", <basis>" when an estimate is calibrated on past runs, else nothing. */
/** The estimate live and in batch mode side by side: "$8.10 (range ...) live, $4.60 batch (ready within 24 h)". */
export function liveAndBatch(estimate: { costUsd: { low: number; expected: number; high: number }; costBatchUsd: { expected: number } }): string {
  return `${usdRange(estimate.costUsd)} live, ${usd(estimate.costBatchUsd.expected)} in batch mode (ready within 24 h)`;
}

export function calibrationNote(estimate: { calibration?: unknown; basis: string }): string {
  return estimate.calibration ? `, ${estimate.basis.split(';')[0]}` : '';
}
