/** Follows a run in a terminal: a progress bar on a TTY, a line every few seconds otherwise. */
import cliProgress from 'cli-progress';
import type { App } from './app.js';
import { describeRun, viewRun } from './tools/run-view.js';
import { usd, duration } from './util/format.js';

export async function watchRun(app: App, runId: string): Promise<number> {
  const tty = process.stderr.isTTY;
  const bar = tty
    ? new cliProgress.SingleBar({ stream: process.stderr, format: ' {bar} {percentage}% | {stages} | {spent} spent | {eta}', hideCursor: true }, cliProgress.Presets.shades_classic)
    : undefined;
  bar?.start(1000, 0, { stages: 'starting', spent: '$0.00', eta: '' });
  let lastLine = 0;
  const update = () => {
    const live = app.engine.liveProgress(runId);
    if (!live) return;
    const view = viewRun(app, app.engine.get(runId));
    const stages = Object.entries(view.stages).map(([name, stage]) => `${name.split('.').pop()} ${stage.done}/${stage.total ?? '?'}`).join(' ');
    const eta = view.eta_seconds !== null ? `${duration(view.eta_seconds)} left` : '';
    if (bar) bar.update(Math.round((live.fractionDone() ?? 0) * 1000), { stages, spent: usd(view.spent_usd), eta });
    else if (Date.now() - lastLine > 5000) {
      lastLine = Date.now();
      process.stderr.write(`${stages} | ${usd(view.spent_usd)} spent ${eta}\n`);
    }
  };
  const timer = setInterval(update, 250);
  const onSignal = () => void app.engine.cancel(runId);
  process.once('SIGINT', onSignal);
  const run = await app.engine.wait(runId);
  clearInterval(timer);
  process.off('SIGINT', onSignal);
  update();
  bar?.stop();
  const view = viewRun(app, run);
  console.log(describeRun(view));
  if (run.status === 'completed') console.log(`Files: ${view.folder}`);
  else if (run.status !== 'failed') console.log(`Continue it with: distillery resume ${run.id}`);
  await app.close();
  return run.status === 'completed' ? 0 : run.status === 'failed' ? 1 : 3;
}
