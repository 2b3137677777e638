/** Quality: approval by difficulty, topic, stage and task type, the score histogram, top rejection reasons with examples, ensembles' agreement. */
import { agreementChart, scoreChart } from './charts.js';
import { barList, card, count, h, kpi, percent, usd } from './dom.js';
import type { Group, QualityExtras, ReviewPage, ScoreHistogram } from './types.js';

const rates = (groups: Group[]): [string, number][] => groups.filter((group) => group.approval_rate !== null).map((group) => [group.name, group.approval_rate!]);

export function qualityView(review: ReviewPage | undefined, histogram: ScoreHistogram | undefined, extras: QualityExtras | undefined, onReason: (reason: string) => void): HTMLElement {
  if (!review) return h('p', { class: 'muted' }, 'Loading the review summary…');
  const { summary } = review;
  const totals = (groups: Group[]) => (name: string) => {
    const group = groups.find((item) => item.name === name);
    return group ? `(${group.approved} of ${group.approved + group.rejected})` : '';
  };
  const examples = new Map((extras?.rejection_examples ?? []).map((item) => [item.reason, item.samples]));
  const reasons = summary.top_rejection_reasons.map((reason) => {
    const samples = examples.get(reason.reason) ?? [];
    const list = samples.length ? h('ul', { class: 'examples' }, ...samples.map((sample) => h('li', { 'data-example': sample.id }, sample.instruction))) : null;
    return h('li', { 'data-reason': reason.reason }, h('button', { class: 'link', onclick: () => onReason(reason.reason), title: 'Show these samples in Review' }, reason.reason), ` ×${count(reason.count)}`, list);
  });
  const byTaskType = summary.by_task_type ?? [];
  return h(
    'div',
    { class: 'view', 'data-view': 'quality' },
    h(
      'div',
      { class: 'kpis' },
      kpi(`approved (${count(summary.approved)} of ${count(summary.total)})`, percent(summary.approval_rate), 'approval'),
      kpi('per approved pair', usd(summary.cost_per_approved_usd), 'per-approved'),
      kpi('reviewed by a person', count(summary.human.reviewed), 'human-reviewed'),
      kpi('pending', count(summary.pending), 'pending'),
    ),
    card('Score histogram', histogram ? scoreChart(histogram.counts, histogram.approved) : h('p', { class: 'muted' }, 'No scores in this result.')),
    h(
      'div',
      { class: 'grid3' },
      card('Approval by difficulty', barList('difficulty', rates(summary.by_difficulty), percent, totals(summary.by_difficulty), 1)),
      card('Approval by topic', barList('topic', rates(summary.by_topic).slice(0, 12), percent, totals(summary.by_topic), 1)),
      card('Approval by stage', barList('stage-approval', rates(summary.by_stage), percent, totals(summary.by_stage), 1)),
    ),
    extras?.agreement ? card('Teacher agreement (ensemble)', agreementChart(extras.agreement)) : null,
    h(
      'div',
      { class: byTaskType.length ? 'grid2' : '' },
      card('Top rejection reasons', reasons.length ? h('ol', { class: 'reasons', 'data-reasons': '' }, ...reasons) : h('p', { class: 'muted' }, 'No rejections.')),
      byTaskType.length ? card('Approval by task type', barList('task-type', rates(byTaskType), percent, totals(byTaskType), 1)) : null,
    ),
  );
}
