/** The structuredContent (and _meta) of the tools the page reads, as far as the page uses them. */
export interface ToolResult {
  content?: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
  isError?: boolean;
}

export interface BudgetStatus {
  month: string;
  budget_usd: number;
  reserve_usd: number;
  spent_usd: number;
  reserved_usd: number;
  remaining_usd: number;
  available_for_runs_usd: number;
  percent_used: number;
  calls: number;
  alerts: string[];
  by_provider: Record<string, number>;
  by_stage: Record<string, number>;
  by_run: Record<string, number>;
}

export interface BurnDown {
  month: string;
  budget_usd: number;
  runs_line_usd: number;
  days: { day: string; spent_usd: number; cumulative_usd: number }[];
  days_in_month: number;
}

export interface RunStage {
  total?: number;
  done: number;
  ok: number;
  failed: number;
  cost_usd: number;
}

export interface RunView {
  run_id: string;
  name: string;
  kind: string;
  status: string;
  pause?: { reason: string; message: string };
  error?: string;
  stages: Record<string, RunStage>;
  counts: Record<string, number>;
  drops: Record<string, number>;
  approval_rate: number | null;
  spent_usd: number;
  eta_seconds: number | null;
  budget_alerts?: string[];
}

export interface Group {
  name: string;
  total: number;
  approved: number;
  rejected: number;
  pending: number;
  approval_rate: number | null;
}

export interface ReviewSummary {
  total: number;
  approved: number;
  rejected: number;
  pending: number;
  approval_rate: number | null;
  by_difficulty: Group[];
  by_topic: Group[];
  by_stage: Group[];
  by_task_type?: Group[];
  top_rejection_reasons: { reason: string; count: number }[];
  human: { reviewed: number; approved: number; rejected: number; edited: number };
  spent_usd: number;
  cost_per_approved_usd: number | null;
}

export interface Sample {
  id: string;
  status: string;
  score: number | null;
  difficulty: string;
  topic: string;
  source: string;
  instruction: string;
  input: string;
  output: string;
  judge: { by: string; reason: string; model?: string };
  human?: { action: string; by: string; at: string; note?: string };
  original?: { instruction: string; output: string; status: string };
  truncated: boolean;
}

export interface ReviewPage {
  run_id: string;
  run_name: string;
  run_status: string;
  samples: Sample[];
  matched: number;
  next_cursor: string | null;
  decisions: { sample_id: string; action: string; outcome: string; status_before: string; status_after: string; message: string }[];
  summary: ReviewSummary;
}

export interface ScoreHistogram {
  run_id: string;
  counts: number[];
  approved: number[];
  unscored: number;
}

export interface QualityExtras {
  run_id: string;
  rejection_examples: { reason: string; samples: { id: string; instruction: string }[] }[];
  sources: Record<string, string>;
  agreement: number[] | null;
}

export const qualityMetaKey = 'distillery/quality';
export const burnDownMetaKey = 'distillery/burn_down';
export const scoreHistogramMetaKey = 'distillery/score_histogram';
