// A cron expression checked field by field when the config loads, so `start`, `check`
// and `validate` refuse what `rs-agent run` could never schedule ("61 * * * *"),
// without loading the cron library (it costs a converged `check` about 18 ms).
// The syntax is node-cron's, which the daemon runs it with: 5 fields, or 6 with seconds
// first; each a list of `*`, N, N-M (wrapping past the end), each optionally /STEP;
// month and weekday names; `?` for day or weekday. Returns what is wrong, or null.

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[]; // names[i] stands for min + i
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FIELDS: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day of week', min: 0, max: 7, names: DAYS }, // 7 is Sunday too
];

export function cronProblem(expression: string): string | null {
  const words = expression.trim().split(/\s+/);
  if (words.length !== 5 && words.length !== 6)
    return `has ${words.length} fields; a cron expression has 5, or 6 with seconds first`;
  const fields = words.length === 5 ? FIELDS.slice(1) : FIELDS;
  for (const [i, word] of words.entries()) {
    const field = fields[i] as Field;
    const problem = fieldProblem(word, field);
    if (problem) return `${field.name} field ${JSON.stringify(word)}: ${problem}`;
  }
  return null;
}

function fieldProblem(word: string, field: Field): string | null {
  if (word === '?' && (field.name === 'day of month' || field.name === 'day of week')) return null;
  for (const item of word.split(',')) {
    const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/i.exec(item);
    if (!m) return `${JSON.stringify(item)} is not *, a value, a range A-B or one of them with /STEP`;
    if (m[2] !== undefined && Number(m[2]) < 1) return `step ${m[2]} must be at least 1`;
    if (m[1] === '*') continue;
    for (const part of (m[1] as string).split('-')) {
      const value = valueOf(part, field);
      if (value === null)
        return `${JSON.stringify(part)} is not a ${field.name}${field.names ? ` (a number or a name such as ${field.names[0]})` : ''}`;
      if (value < field.min || value > field.max) return `${part} is out of range ${field.min}-${field.max}`;
    }
  }
  return null;
}

function valueOf(text: string, field: Field): number | null {
  if (/^\d+$/.test(text)) return Number(text);
  const index =
    field.names?.findIndex((n) => text.toLowerCase().startsWith(n) && fullName(n).startsWith(text.toLowerCase())) ?? -1;
  return index >= 0 ? field.min + index : null;
}

// "jan" → "january", "thu" → "thursday": either spelling is accepted.
const FULL: Record<string, string> = {
  jan: 'january',
  feb: 'february',
  mar: 'march',
  apr: 'april',
  may: 'may',
  jun: 'june',
  jul: 'july',
  aug: 'august',
  sep: 'september',
  oct: 'october',
  nov: 'november',
  dec: 'december',
  sun: 'sunday',
  mon: 'monday',
  tue: 'tuesday',
  wed: 'wednesday',
  thu: 'thursday',
  fri: 'friday',
  sat: 'saturday',
};
function fullName(short: string): string {
  return FULL[short] ?? short;
}
