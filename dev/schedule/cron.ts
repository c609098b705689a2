/**
 * 5-field cron expressions as pg_cron reads them (minute hour day-of-month month day-of-week, UTC): `*`, numbers,
 * ranges `a-b`, steps `*\/n` and `a-b/n`, and comma lists. Enough for the project's cadence and its usual edits.
 */

export class CronParseError extends Error {
  constructor(readonly expression: string, readonly field: string, reason: string) {
    super(`cron expression ${JSON.stringify(expression)}: ${field} ${reason}`);
    this.name = "CronParseError";
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  // 0 and 7 are both Sunday, as in cron.
  { name: "day-of-week", min: 0, max: 7 },
];

export interface CronSchedule {
  readonly expression: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (a 7 in the expression is stored as 0). */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Cron's rule: when both day fields are restricted, a day matches if either matches. */
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

function parseNumber(expression: string, spec: FieldSpec, text: string): number {
  if (!/^\d+$/.test(text)) throw new CronParseError(expression, spec.name, `has ${JSON.stringify(text)}, not a number`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new CronParseError(expression, spec.name, `value ${value} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(expression: string, spec: FieldSpec, text: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const [rangeText, stepText, extra] = part.split("/");
    if (extra !== undefined || rangeText === "") {
      throw new CronParseError(expression, spec.name, `has a malformed part ${JSON.stringify(part)}`);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseNumber(expression, { ...spec, min: 1, max: spec.max - spec.min + 1 }, stepText);
    }
    let low: number;
    let high: number;
    if (rangeText === "*") {
      [low, high] = [spec.min, spec.max];
    } else if (rangeText.includes("-")) {
      const [lowText, highText, more] = rangeText.split("-");
      if (more !== undefined) throw new CronParseError(expression, spec.name, `has a malformed range ${rangeText}`);
      low = parseNumber(expression, spec, lowText);
      high = parseNumber(expression, spec, highText);
      if (low > high) throw new CronParseError(expression, spec.name, `range ${rangeText} runs backwards`);
    } else {
      low = parseNumber(expression, spec, rangeText);
      // `5/15` means from 5 to the end in steps of 15, as in Vixie cron.
      high = stepText === undefined ? low : spec.max;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

export function parseCron(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new CronParseError(expression, "expression", `has ${fields.length} fields, expected 5`);
  }
  const [minutes, hours, daysOfMonth, months, rawDaysOfWeek] = fields.map((text, i) =>
    parseField(expression, FIELDS[i], text)
  );
  const daysOfWeek = new Set([...rawDaysOfWeek].map((day) => day % 7));
  return {
    expression,
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    dayOfMonthRestricted: fields[2] !== "*",
    dayOfWeekRestricted: fields[4] !== "*",
  };
}

function dayMatches(schedule: CronSchedule, at: Date): boolean {
  if (!schedule.months.has(at.getUTCMonth() + 1)) return false;
  const dayOfMonth = schedule.daysOfMonth.has(at.getUTCDate());
  const dayOfWeek = schedule.daysOfWeek.has(at.getUTCDay());
  if (schedule.dayOfMonthRestricted && schedule.dayOfWeekRestricted) return dayOfMonth || dayOfWeek;
  return dayOfMonth && dayOfWeek;
}

/** Whether the schedule fires in the UTC minute that contains `at`. */
export function cronMatches(schedule: CronSchedule, at: Date): boolean {
  return schedule.minutes.has(at.getUTCMinutes()) && schedule.hours.has(at.getUTCHours()) &&
    dayMatches(schedule, at);
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Every valid expression fires within 8 years (29 February included); this bounds the search. */
const SEARCH_LIMIT_MS = 8 * 366 * DAY_MS;

/** Start of the UTC minute containing `ms`. */
export function minuteStart(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/** The first minute strictly after `after` at which the schedule fires. */
export function nextCronRun(schedule: CronSchedule, after: Date): Date {
  const limit = after.getTime() + SEARCH_LIMIT_MS;
  let candidate = minuteStart(after.getTime()) + MINUTE_MS;
  // Jumps a whole day or hour when that cannot match, so the loop runs at most days + hours + minutes times.
  while (candidate <= limit) {
    const at = new Date(candidate);
    if (!dayMatches(schedule, at)) {
      candidate = Math.floor(candidate / DAY_MS) * DAY_MS + DAY_MS;
    } else if (!schedule.hours.has(at.getUTCHours())) {
      candidate = Math.floor(candidate / HOUR_MS) * HOUR_MS + HOUR_MS;
    } else if (!schedule.minutes.has(at.getUTCMinutes())) {
      candidate += MINUTE_MS;
    } else {
      return at;
    }
  }
  throw new CronParseError(schedule.expression, "expression", "never fires (a date like 31 February)");
}
