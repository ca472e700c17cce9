import type { ApiClient } from '../support/api-client';
import type { Cluster } from '../support/cluster';

/** How a burst of creates was answered. */
export interface BurstOutcome {
  requests: number;
  /** Ids of the volumes answered 202. */
  accepted: string[];
  /** 503 answers, and whether every one of them carried Retry-After. */
  unavailable: number;
  retryAfterOnAll: boolean;
  /** Any other 5xx: a defect. */
  serverErrors: number;
  /** Requests that got no answer at all (the API was killed under them). */
  noAnswer: number;
}

/**
 * Fires `count` creates, `concurrency` at a time, named `<name>-<i>`; `fault` starts (without
 * holding the burst up) once `at` of the requests have been sent.
 */
export async function burst(
  api: ApiClient,
  name: string,
  options: {
    count: number;
    concurrency: number;
    /** GiB per volume (1 unless said). */
    size?: number;
    at?: number;
    fault?: () => Promise<void>;
  },
): Promise<BurstOutcome> {
  const outcome: BurstOutcome = {
    requests: options.count,
    accepted: [],
    unavailable: 0,
    retryAfterOnAll: true,
    serverErrors: 0,
    noAnswer: 0,
  };
  const faultAt = Math.floor(options.count * (options.at ?? 0.3));
  let fault: Promise<void> | undefined;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < options.count; i = next++) {
      if (i === faultAt && options.fault) fault = options.fault();
      try {
        const res = await api.post('volumes', {
          volume: { size: options.size ?? 1, name: `${name}-${i}` },
        });
        if (res.status === 202) outcome.accepted.push(res.body.volume.id as string);
        else if (res.status === 503) {
          outcome.unavailable += 1;
          if (!res.headers.get('retry-after')) outcome.retryAfterOnAll = false;
        } else if (res.status >= 500) outcome.serverErrors += 1;
      } catch {
        outcome.noAnswer += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  await fault;
  return outcome;
}

/** Where the volumes of a burst ended, from the database (which also holds rows whose answer was lost). */
export interface Settled {
  byStatus: Record<string, number>;
  /** Still `creating` when the wait ran out. */
  stuck: number;
  /** Names written more than once. */
  duplicated: number;
  /** Accepted volumes with no row at all. */
  lost: number;
  rows: number;
}

const UNSETTLED = [
  'creating',
  'deleting',
  'backing-up',
  'restoring-backup',
  'attaching',
  'detaching',
];

/** Waits until no volume of the burst is in flight (or `timeoutMs` passed), then counts. */
export async function settle(
  cluster: Cluster,
  name: string,
  accepted: readonly string[],
  timeoutMs: number,
): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  let rows: { id: string; display_name: string; status: string }[] = [];
  for (;;) {
    try {
      rows = await cluster.sql<{ id: string; display_name: string; status: string }>(
        `SELECT id, display_name, status FROM volumes WHERE display_name LIKE $1 AND deleted = false`,
        [`${name}-%`],
      );
    } catch {
      rows = []; // the database may still be coming back
    }
    const inFlight = rows.filter((r) => UNSETTLED.includes(r.status)).length;
    if ((rows.length > 0 && inFlight === 0) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const byStatus: Record<string, number> = {};
  const names = new Map<string, number>();
  for (const row of rows) {
    byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
    names.set(row.display_name, (names.get(row.display_name) ?? 0) + 1);
  }
  const ids = new Set(rows.map((r) => r.id));
  return {
    byStatus,
    stuck: rows.filter((r) => UNSETTLED.includes(r.status)).length,
    duplicated: [...names.values()].filter((n) => n > 1).length,
    lost: accepted.filter((id) => !ids.has(id)).length,
    rows: rows.length,
  };
}

/** One line of the chaos table. */
export interface ChaosRow {
  fault: string;
  requests: number;
  accepted: number;
  unavailable: number;
  serverErrors: number;
  noAnswer: number;
  available: number;
  error: number;
  stuck: number;
  duplicated: number;
  lost: number;
  crashed: string;
  seconds: number;
}

export function row(
  fault: string,
  outcome: BurstOutcome,
  settled: Settled,
  crashed: string[],
  seconds: number,
): ChaosRow {
  return {
    fault,
    requests: outcome.requests,
    accepted: outcome.accepted.length,
    unavailable: outcome.unavailable,
    serverErrors: outcome.serverErrors,
    noAnswer: outcome.noAnswer,
    available: settled.byStatus.available ?? 0,
    error: settled.byStatus.error ?? 0,
    stuck: settled.stuck,
    duplicated: settled.duplicated,
    lost: settled.lost,
    crashed: crashed.join(', ') || 'none',
    seconds,
  };
}

export function renderTable(rows: readonly ChaosRow[]): string {
  const head = [
    'fault',
    'requests',
    '202',
    '503',
    'other 5xx',
    'no answer',
    'available',
    'error',
    'stuck',
    'duplicated',
    'lost',
    'services crashed',
    'settled in s',
  ];
  const lines = rows.map((r) =>
    [
      r.fault,
      r.requests,
      r.accepted,
      r.unavailable,
      r.serverErrors,
      r.noAnswer,
      r.available,
      r.error,
      r.stuck,
      r.duplicated,
      r.lost,
      r.crashed,
      r.seconds.toFixed(1),
    ].join(' | '),
  );
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...lines.map((l) => `| ${l} |`),
  ].join('\n');
}
