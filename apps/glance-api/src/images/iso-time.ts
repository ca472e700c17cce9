/**
 * oslo_utils.timeutils.parse_isotime (the iso8601 library) followed by normalize_time: the
 * instant in UTC, as PostgreSQL reads a `timestamp` (microseconds kept).
 */
const ISO8601 = new RegExp(
  '^(?<year>[0-9]{4})(' +
    '((-(?<monthdash>[0-9]{1,2}))|(?<month>[0-9]{2})(?!$))' +
    '(((-(?<daydash>[0-9]{1,2}))|(?<day>[0-9]{2}))' +
    '(' +
    '(?<separator>[ T])(?<hour>[0-9]{2})(:?(?<minute>[0-9]{2}))?' +
    '(:?(?<second>[0-9]{1,2})([.,](?<fraction>[0-9]+))?)?' +
    '(?<timezone>Z|((?<tzSign>[-+])(?<tzHour>[0-9]{2}):?(?<tzMinute>[0-9]{2})?))?' +
    ')?' +
    ')?' +
    ')?$',
);

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

/** The UTC `YYYY-MM-DD HH:MM:SS.ffffff` of an ISO 8601 time, or undefined if Glance refuses it. */
export function parseIsoTime(text: string): string | undefined {
  const match = ISO8601.exec(text);
  if (!match?.groups) return undefined;
  const g = match.groups;
  const year = Number(g.year);
  const month = Number(g.month ?? g.monthdash ?? 1);
  const day = Number(g.day ?? g.daydash ?? 1);
  const hour = Number(g.hour ?? 0);
  const minute = Number(g.minute ?? 0);
  const second = Number(g.second ?? 0);
  // Decimal("0.<digits>") * 1e6, truncated.
  const micro = Number((g.fraction ?? '0').slice(0, 6).padEnd(6, '0'));
  // datetime's ranges.
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (g.timezone !== undefined && g.timezone !== 'Z') {
    offsetMinutes = Number(g.tzHour) * 60 + Number(g.tzMinute ?? 0);
    // datetime.timezone takes offsets strictly within a day.
    if (offsetMinutes >= 24 * 60) return undefined;
    if (g.tzSign === '-') offsetMinutes = -offsetMinutes;
  }
  const instant = new Date(0);
  instant.setUTCFullYear(year, month - 1, day);
  instant.setUTCHours(hour, minute - offsetMinutes, second, 0);
  return (
    `${pad(instant.getUTCFullYear(), 4)}-${pad(instant.getUTCMonth() + 1, 2)}-` +
    `${pad(instant.getUTCDate(), 2)} ${pad(instant.getUTCHours(), 2)}:` +
    `${pad(instant.getUTCMinutes(), 2)}:${pad(instant.getUTCSeconds(), 2)}.${pad(micro, 6)}`
  );
}
