/** The page's state and what changes it: each action calls a tool through the host and re-renders. */
import { errorText, type Host } from './host.js';
import type { Decision, Filters, ReviewActions, ReviewState } from './review-view.js';
import type { ExportRequest, ExportResult } from './export-view.js';
import { burnDownMetaKey, qualityMetaKey, scoreHistogramMetaKey, type BudgetStatus, type QualityExtras, type BurnDown, type ReviewPage, type RunView, type Sample, type ScoreHistogram, type ToolResult } from './types.js';

export type Tab = 'budget' | 'run' | 'quality' | 'review' | 'export';

export interface State {
  tab: Tab;
  budget?: BudgetStatus;
  burnDown?: BurnDown;
  runs: RunView[];
  run?: RunView;
  review?: ReviewPage;
  histogram?: ScoreHistogram;
  quality?: QualityExtras;
  exported?: ExportResult;
  message?: { text: string; error: boolean };
  reviewState: ReviewState;
  /** The arguments that fetched each page so far: the last one is the page shown. */
  pages: Record<string, unknown>[];
  undo: { sample: Sample; action: Decision['action'] }[];
}

const pageSize = 20;
/** Long enough that an edit starts from the whole text, not a clipped one. */
const maxChars = 20_000;

export class Controller {
  readonly state: State = { tab: 'budget', runs: [], reviewState: { filters: {}, selected: 0, editing: false }, pages: [], undo: [] };

  constructor(private readonly host: Host, private readonly render: () => void) {}

  /** The arguments the chat called review_samples with: the page keeps its filters. */
  acceptInput(toolName: string | undefined, args: Record<string, unknown>): void {
    if (toolName !== 'review_samples') return;
    const filters: Filters = {};
    for (const key of ['status', 'min_score', 'difficulty', 'topic', 'query', 'rejection_reason'] as const) if (args[key] !== undefined) (filters as Record<string, unknown>)[key] = args[key];
    this.state.reviewState = { ...this.state.reviewState, filters };
  }

  /** A tool result the host pushed (the one the page was opened with). */
  accept(result: ToolResult, toolName?: string): void {
    const data = result.structuredContent;
    if (result.isError || !data) return this.say(errorText(result), true);
    const name = toolName ?? ('budget_usd' in data ? 'budget_status' : 'samples' in data ? 'review_samples' : 'stages' in data ? 'run_status' : undefined);
    if (name === 'budget_status') this.takeBudget(result);
    else if (name === 'review_samples') this.takeReview(result, { run_id: data.run_id, limit: pageSize, max_chars: maxChars, ...this.filterArgs() });
    else if (name === 'run_status') this.state.run = data as unknown as RunView;
    if (name) this.state.tab = name === 'budget_status' ? 'budget' : name === 'review_samples' ? 'review' : 'run';
    this.render();
  }

  /** Whatever the page was not handed: the budget, the runs, and the current run with its first review page. */
  async loadAll(): Promise<void> {
    await Promise.all([this.state.budget ? undefined : this.loadBudget(), this.loadRuns()]);
    const runId = this.state.run?.run_id ?? this.state.review?.run_id ?? this.state.runs[0]?.run_id;
    if (!runId) return this.render();
    await Promise.all([
      this.state.run?.run_id === runId ? undefined : this.readRun(runId),
      this.state.review?.run_id === runId ? undefined : this.reviewPage([{ run_id: runId, limit: pageSize, max_chars: maxChars }]),
    ]);
    this.render();
  }

  async loadBudget(): Promise<void> {
    const result = await this.call('budget_status', {});
    if (result) this.takeBudget(result);
  }

  async loadRuns(): Promise<void> {
    const result = await this.call('list_runs', { limit: 50 });
    if (result) this.state.runs = (result.structuredContent as { runs: RunView[] }).runs;
  }

  /** run_status for one run, and its first review page for the quality, review and export views. */
  async loadRun(runId: string): Promise<void> {
    this.state.undo = [];
    await Promise.all([this.readRun(runId), this.reviewPage([{ run_id: runId, limit: pageSize, max_chars: maxChars, ...this.filterArgs() }])]);
    this.render();
  }

  async refreshRun(): Promise<void> {
    if (this.state.run) await this.readRun(this.state.run.run_id);
    this.render();
  }

  private async readRun(runId: string): Promise<void> {
    const result = await this.call('run_status', { run_id: runId });
    if (result) this.state.run = result.structuredContent as unknown as RunView;
  }

  async exportRun(request: ExportRequest): Promise<void> {
    const result = await this.call('export_dataset', { ...request });
    if (result) {
      this.state.exported = result.structuredContent as unknown as ExportResult;
      this.say(errorText(result), false);
    }
    this.render();
  }

  readonly review: ReviewActions = {
    filter: (filters: Filters) => {
      this.state.reviewState = { filters, selected: 0, editing: false };
      void this.reviewPage([{ run_id: this.runId(), limit: pageSize, max_chars: maxChars, ...this.filterArgs() }]);
    },
    draft: (filters: Filters) => {
      this.state.reviewState.filters = filters;
    },
    decide: (decisions, undo) => void this.decide(decisions, undo),
    undo: () => void this.undoLast(),
    page: (step) => {
      const pages = this.state.pages;
      const next = this.state.review?.next_cursor;
      if (step === 1 && next) void this.reviewPage([...pages, { cursor: next, max_chars: maxChars }]);
      if (step === -1 && pages.length > 1) void this.reviewPage(pages.slice(0, -1));
    },
    select: (index) => {
      this.state.reviewState = { ...this.state.reviewState, selected: index, editing: false };
      this.render();
    },
    edit: (on) => {
      const sample = this.state.review?.samples[this.state.reviewState.selected];
      if (on && sample?.truncated) return this.say(`${sample.id} is longer than the page shows; edit it with review_samples.`, true);
      this.state.reviewState = { ...this.state.reviewState, editing: on };
      this.render();
    },
  };

  private async decide(decisions: Decision[], undo: { sample: Sample; action: Decision['action'] } | undefined): Promise<void> {
    const pages = this.state.pages;
    const current = pages.at(-1) ?? { run_id: this.runId(), limit: pageSize, max_chars: maxChars };
    const result = await this.reviewPage([...pages.slice(0, -1), current], decisions);
    if (!result) return;
    if (undo) this.state.undo.push(undo);
    this.state.reviewState = { ...this.state.reviewState, editing: false };
    const outcomes = (result.structuredContent as unknown as ReviewPage).decisions;
    this.say(outcomes.map((outcome) => `${outcome.sample_id}: ${outcome.status_before} → ${outcome.status_after}.`).join(' '), false);
  }

  /** review_samples has no "pending" to go back to: undo restores the earlier status, and an edit's earlier text. */
  private async undoLast(): Promise<void> {
    const last = this.state.undo.pop();
    if (!last) return this.say('Nothing to undo.', false);
    const { sample, action } = last;
    const note = 'undo in the dashboard';
    const decisions: Decision[] = [];
    if (action === 'edit') decisions.push({ sample_id: sample.id, action: 'edit', instruction: sample.instruction, output: sample.output, note });
    else if (sample.status === (action === 'approve' ? 'approved' : 'rejected')) return this.say(`${sample.id} was already ${sample.status}: nothing changed.`, false);
    else if (sample.status === 'approved') decisions.push({ sample_id: sample.id, action: 'approve', note });
    if (sample.status === 'rejected') decisions.push({ sample_id: sample.id, action: 'reject', note });
    if (sample.status === 'pending' && action !== 'edit') return this.say(`${sample.id} was pending; review_samples cannot set a sample back to pending. Decide it again with a or r.`, true);
    await this.decide(decisions, undefined);
  }

  private async reviewPage(pages: Record<string, unknown>[], decisions?: Decision[]): Promise<ToolResult | undefined> {
    const args = { ...pages.at(-1)!, ...(decisions ? { decisions } : {}) };
    const result = await this.call('review_samples', args);
    if (result) this.takeReview(result, pages.at(-1)!, pages.slice(0, -1));
    this.render();
    return result;
  }

  private takeReview(result: ToolResult, args: Record<string, unknown>, before: Record<string, unknown>[] = []): void {
    const page = result.structuredContent as unknown as ReviewPage;
    this.state.review = page;
    this.state.pages = [...before, args];
    this.state.histogram = result._meta?.[scoreHistogramMetaKey] as ScoreHistogram | undefined;
    this.state.quality = result._meta?.[qualityMetaKey] as QualityExtras | undefined;
    const selected = Math.min(this.state.reviewState.selected, Math.max(0, page.samples.length - 1));
    this.state.reviewState = { ...this.state.reviewState, selected };
  }

  private takeBudget(result: ToolResult): void {
    this.state.budget = result.structuredContent as unknown as BudgetStatus;
    this.state.burnDown = result._meta?.[burnDownMetaKey] as BurnDown | undefined;
  }

  private filterArgs(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.state.reviewState.filters).filter(([, value]) => value !== undefined && value !== ''));
  }

  private runId(): string | undefined {
    return this.state.review?.run_id ?? this.state.run?.run_id;
  }

  private async call(name: string, args: Record<string, unknown>): Promise<ToolResult | undefined> {
    try {
      const result = await this.host.call(name, args);
      if (result.isError) return this.say(errorText(result), true), undefined;
      return result;
    } catch (error) {
      return this.say(`${name} could not be reached: ${(error as Error).message}`, true), undefined;
    }
  }

  say(text: string, error: boolean): void {
    this.state.message = { text, error };
    this.render();
  }
}
