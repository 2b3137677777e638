/** Boots the page: connects to its host, draws the tabs, and keeps the keyboard for review. */
import { budgetView } from './budget-view.js';
import { Controller, type Tab } from './controller.js';
import { h } from './dom.js';
import { exportView } from './export-view.js';
import { connectHost } from './host.js';
import { qualityView } from './quality-view.js';
import { reviewKeys, reviewView } from './review-view.js';
import { runView } from './run-view.js';
import './style.css';

const tabs: [Tab, string][] = [['budget', 'Budget'], ['run', 'Run'], ['quality', 'Quality'], ['review', 'Review'], ['export', 'Export']];
const root = document.getElementById('app')!;
let controller: Controller;
let liveTimer: ReturnType<typeof setTimeout> | undefined;

function render(): void {
  if (!controller) return;
  const { state } = controller;
  const names = new Map(state.runs.map((run) => [run.run_id, run.name]));
  const view = (() => {
    switch (state.tab) {
      case 'budget': return budgetView(state.budget, state.burnDown, names);
      case 'run': return runView(state.run, state.runs.length ? state.runs : state.run ? [state.run] : [], (id) => void controller.loadRun(id), () => void controller.refreshRun());
      case 'quality': return qualityView(state.review, state.histogram, state.quality, (reason) => showTab('review', () => controller.review.filter({ rejection_reason: reason })));
      case 'review': return reviewView(state.review, state.reviewState, controller.review, state.pages.length > 1, state.quality?.sources);
      case 'export': return exportView(state.run, state.review, state.exported, (request) => void controller.exportRun(request));
    }
  })();
  const nav = h('nav', { class: 'tabs', role: 'tablist' }, ...tabs.map(([tab, label]) => h('button', { role: 'tab', 'aria-selected': String(tab === state.tab), 'data-tab': tab, onclick: () => showTab(tab) }, label)));
  const message = state.message ? h('p', { class: `message${state.message.error ? ' error' : ''}`, role: 'status', 'data-message': '' }, state.message.text) : null;
  root.replaceChildren(h('header', {}, h('h1', {}, 'Distillery'), nav), message ?? '', view);
  root.dataset.ready = 'true';
  followRun();
}

function showTab(tab: Tab, then?: () => void): void {
  controller.state.tab = tab;
  render();
  then?.();
}

/** While the run shown is running, run_status is read again every five seconds. */
function followRun(): void {
  clearTimeout(liveTimer);
  if (controller.state.tab === 'run' && controller.state.run?.status === 'running') liveTimer = setTimeout(() => void controller.refreshRun(), 5000);
}

async function boot(): Promise<void> {
  // What the host sends while the connection is still being made waits for the controller.
  const early: (() => void)[] = [];
  const later = (step: () => void) => (controller ? step() : early.push(step));
  const host = await connectHost({
    input: (toolName, args) => later(() => controller.acceptInput(toolName, args)),
    result: (result, toolName) =>
      later(() => {
        controller.accept(result, toolName);
        void controller.loadAll();
      }),
  });
  controller = new Controller(host, render);
  document.addEventListener('keydown', (event) => {
    if (controller.state.tab === 'review' && reviewKeys(event, controller.state.review, controller.state.reviewState, controller.review)) event.preventDefault();
  });
  for (const step of early) step();
  render();
  // In a chat the host pushes the tool result soon after connecting; the rest is read meanwhile.
  await controller.loadAll();
}

void boot();
