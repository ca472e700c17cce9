import type { EntityManager } from 'typeorm';
import { NOW_UTC } from './utc';

/** One message waiting in the outbox (see the migration `Outbox1764100000000`). */
export interface OutboxRow {
  id: string;
  message_id: string;
  destination_kind: 'queue' | 'fanout';
  destination: string;
  method: string;
  envelope: unknown;
  request_id: string;
  attempts: number;
}

export async function insertOutboxMessage(
  manager: EntityManager,
  message: Omit<OutboxRow, 'id' | 'attempts'>,
): Promise<void> {
  await manager.query(
    `INSERT INTO outbox (message_id, destination_kind, destination, method, envelope, request_id)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      message.message_id,
      message.destination_kind,
      message.destination,
      message.method,
      JSON.stringify(message.envelope),
      message.request_id,
    ],
  );
}

/**
 * The oldest due messages, locked for this transaction. SKIP LOCKED lets relays of several
 * processes drain the same table side by side without publishing a row twice at once.
 */
export function lockDueOutboxMessages(manager: EntityManager, limit: number): Promise<OutboxRow[]> {
  return manager.query(
    `SELECT id, message_id, destination_kind, destination, method, envelope, request_id, attempts
     FROM outbox WHERE next_attempt_at <= ${NOW_UTC}
     ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
    [limit],
  );
}

export async function deleteOutboxMessages(
  manager: EntityManager,
  ids: readonly string[],
): Promise<void> {
  if (ids.length > 0) await manager.query(`DELETE FROM outbox WHERE id = ANY($1)`, [ids]);
}

/** Puts a message the broker did not take back, due again after `delayMs`. */
export async function deferOutboxMessage(
  manager: EntityManager,
  id: string,
  delayMs: number,
  error: string,
): Promise<void> {
  await manager.query(
    `UPDATE outbox SET attempts = attempts + 1, last_error = $2,
       next_attempt_at = ${NOW_UTC} + make_interval(secs => $3)
     WHERE id = $1`,
    [id, error.slice(0, 2000), delayMs / 1000],
  );
}

/** How many messages wait, and the age of the oldest (for health reports and tests). */
export async function outboxBacklog(
  manager: EntityManager,
): Promise<{ count: number; oldestAgeS: number | null }> {
  const [row] = (await manager.query(
    `SELECT count(*)::int AS count,
       EXTRACT(EPOCH FROM (${NOW_UTC} - min(created_at)))::float AS oldest
     FROM outbox`,
  )) as { count: number; oldest: number | null }[];
  return { count: row.count, oldestAgeS: row.oldest };
}
