import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages written in the same transaction as the status change they carry on (a transactional
 * outbox): a relay publishes them after the commit and deletes them once the broker confirmed.
 */
export class Outbox1764100000000 implements MigrationInterface {
  name = 'Outbox1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        message_id uuid NOT NULL,
        destination_kind varchar(16) NOT NULL,
        destination varchar(255) NOT NULL,
        method varchar(255) NOT NULL,
        envelope jsonb NOT NULL,
        request_id varchar(255) NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        next_attempt_at timestamp(6) NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
      )`);
    await q.query(`CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE outbox`);
  }
}
