/** Budget months: calendar months in UTC that start on a configurable day (1-28). */
import { InputError } from '../errors.js';

const monthKeyPattern = /^(\d{4})-(0[1-9]|1[0-2])$/;

function checkStartDay(startDay: number): void {
  if (!Number.isInteger(startDay) || startDay < 1 || startDay > 28) {
    throw new InputError(`The budget month start day must be a whole number from 1 to 28, not ${startDay}. Fix budget.month_start_day in the config file.`);
  }
}

function format(year: number, monthIndex: number): string {
  const date = new Date(Date.UTC(year, monthIndex, 1));
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The budget month `at` falls in: with startDay 15, 2026-11-10 belongs to '2026-10'. */
export function monthKey(at: Date, startDay = 1): string {
  checkStartDay(startDay);
  const monthIndex = at.getUTCDate() >= startDay ? at.getUTCMonth() : at.getUTCMonth() - 1;
  return format(at.getUTCFullYear(), monthIndex);
}

export function isMonthKey(value: string): boolean {
  return monthKeyPattern.test(value);
}

/** [start, end) of a budget month. */
export function monthRange(key: string, startDay = 1): { start: Date; end: Date } {
  checkStartDay(startDay);
  const match = monthKeyPattern.exec(key);
  if (!match) throw new InputError(`"${key}" is not a budget month; use the form YYYY-MM, e.g. 2026-11.`);
  const year = Number(match[1]);
  const monthIndex = Number(match[2]) - 1;
  return { start: new Date(Date.UTC(year, monthIndex, startDay)), end: new Date(Date.UTC(year, monthIndex + 1, startDay)) };
}
