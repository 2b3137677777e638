/** What an evaluation reports: win, tie and loss rates against the baseline and mean scores, overall, by difficulty and by topic, and the worst answers. */

export interface Grade {
  id: string;
  instruction: string;
  reference: string;
  difficulty: string;
  topic: string;
  candidate: { answer: string; score: number; note: string };
  baseline: { answer: string; score: number; note: string };
  outcome: 'win' | 'tie' | 'loss';
  /** Which answer the judge saw as A and as B. */
  order: string[];
  reason: string;
  judge: string;
}

export interface Rates {
  questions: number;
  win_rate: number;
  tie_rate: number;
  loss_rate: number;
  mean_score: number;
  baseline_mean_score: number;
}

const worstListed = 10;

function rates(grades: Grade[]): Rates {
  const n = grades.length;
  const share = (outcome: Grade['outcome']) => (n ? grades.filter((grade) => grade.outcome === outcome).length / n : 0);
  const mean = (pick: (grade: Grade) => number) => (n ? grades.reduce((sum, grade) => sum + pick(grade), 0) / n : 0);
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return { questions: n, win_rate: round(share('win')), tie_rate: round(share('tie')), loss_rate: round(share('loss')), mean_score: round(mean((grade) => grade.candidate.score)), baseline_mean_score: round(mean((grade) => grade.baseline.score)) };
}

function groupBy(grades: Grade[], key: (grade: Grade) => string): Record<string, Rates> {
  const groups = new Map<string, Grade[]>();
  for (const grade of grades) groups.set(key(grade), [...(groups.get(key(grade)) ?? []), grade]);
  return Object.fromEntries([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, members]) => [name, rates(members)]));
}

export function evaluationReport(grades: Grade[], asked: number) {
  const worst = [...grades].sort((a, b) => a.candidate.score - b.candidate.score || a.id.localeCompare(b.id)).slice(0, worstListed);
  return {
    ...rates(grades),
    asked,
    not_graded: asked - grades.length,
    by_difficulty: groupBy(grades, (grade) => grade.difficulty),
    by_topic: groupBy(grades, (grade) => grade.topic),
    worst: worst.map((grade) => ({ id: grade.id, instruction: grade.instruction, score: grade.candidate.score, outcome: grade.outcome, answer: grade.candidate.answer.slice(0, 500), reference: grade.reference.slice(0, 500), note: grade.candidate.note })),
  };
}
export type EvaluationReport = ReturnType<typeof evaluationReport>;
