/** The budget check every start function makes before a run is created. */
import { BudgetError } from '../errors.js';
import type { Services } from '../services.js';
import { usd, usdRange } from '../util/format.js';
import type { CostRange } from '../pipelines/cost-range.js';

/**
 * Refuses a run whose expected cost is above what it may spend (the month's budget for runs, or its
 * own max_usd), with the figures, saying nothing was spent and what to lower; adds a warning when only
 * the high end of the estimate is above it.
 */
export function checkRunFits(
  services: Services,
  costUsd: CostRange,
  limits: { availableUsd: number; maxUsd?: number },
  run: { what: string; lower: string },
  warnings: string[],
): void {
  const { availableUsd, maxUsd } = limits;
  const cap = Math.min(availableUsd, maxUsd ?? Infinity);
  if (costUsd.expected > cap) {
    const scope = maxUsd !== undefined && maxUsd < availableUsd ? 'run' : 'month';
    const limit = scope === 'run' ? `its max_usd of ${usd(maxUsd!)}` : `the ${usd(availableUsd)} left for runs this month (of ${usd(services.guard.monthlyUsd)}, reserve held back)`;
    throw new BudgetError(
      `Budget: ${run.what} needs about ${usdRange(costUsd)} but that is more than ${limit}. ` +
        `Nothing was spent. ${run.lower}, or raise ${scope === 'run' ? 'max_usd' : 'the monthly budget (set_budget or DISTILLERY_BUDGET_USD)'}.`,
      { neededUsd: costUsd.expected, availableUsd: cap, scope },
    );
  }
  if (costUsd.high > cap) {
    warnings.push(`The high end of the estimate (${usd(costUsd.high)}) is above the ${usd(cap)} available: the run may pause for budget before it finishes.`);
  }
}
