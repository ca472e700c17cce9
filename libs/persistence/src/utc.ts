import { types, defaults } from 'pg';

// Columns are `timestamp` (no zone) holding UTC, as Cinder's. Read and write them as UTC
// whatever the process's time zone is.
const TIMESTAMP_WITHOUT_TIME_ZONE = 1114;
types.setTypeParser(
  TIMESTAMP_WITHOUT_TIME_ZONE,
  (value: string) => new Date(`${value.replace(' ', 'T')}Z`),
);
defaults.parseInputDatesAsUTC = true;

/** SQL for "now" in the columns' convention. */
export const NOW_UTC = "(now() AT TIME ZONE 'utc')";
