/**
 * Errors that say "not now" rather than "never": a dependency (PostgreSQL, RabbitMQ, a peer
 * service) is away for a while. Work that failed with one is retried later; the API answers 503.
 * Anything else is a bug or bad data, and retrying it forever would not help.
 */
export class RetryLaterError extends Error {
  readonly transient = true;
  constructor(message: string) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

// SQLSTATE classes and codes that mean the server went away or refused for now: connection
// exceptions (08), operator intervention (57P01-57P03: shutdown, crash, starting up), too many
// connections, serialization failures and deadlocks (safe to run again from the start).
const TRANSIENT_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const TRANSIENT_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /connection (is )?closed/i,
  /channel (is )?closed/i,
  /channel ended/i,
  /socket (closed|hang up)/i,
  /terminating connection due to administrator command/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  // TypeORM gives up a transaction's connection when it dies under it.
  /query runner already released/i,
  /connection provided by a query runner was already released/i,
];

export function isTransientError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const candidate = e as {
      transient?: unknown;
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
    };
    if (candidate.transient === true) return true;
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    if (code.startsWith('08') || TRANSIENT_SQLSTATES.has(code)) return true;
    if (TRANSIENT_SYSCALL_CODES.has(code)) return true;
    const message = typeof candidate.message === 'string' ? candidate.message : '';
    if (TRANSIENT_MESSAGES.some((pattern) => pattern.test(message))) return true;
    // TypeORM wraps the driver's error; connection errors may carry their cause.
    e = candidate.driverError ?? candidate.cause;
  }
  return false;
}

/** Exponential backoff with jitter: 100 ms, 200 ms, ... capped at `capMs`. */
export function backoffMs(attempt: number, capMs = 10_000): number {
  const base = Math.min(capMs, 100 * 2 ** Math.min(attempt, 20));
  return Math.round(base / 2 + Math.random() * (base / 2));
}
