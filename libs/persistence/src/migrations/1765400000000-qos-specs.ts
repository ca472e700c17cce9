import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cinder's quality_of_service_specs, as one row per spec set (its key/value pairs in `specs`),
 * and volume_types.qos_specs_id: a type is associated with at most one QoS spec set.
 */
export class QosSpecs1765400000000 implements MigrationInterface {
  name = 'QosSpecs1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE qos_specs (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        consumer varchar(16) NOT NULL DEFAULT 'back-end'
          CHECK (consumer IN ('front-end', 'back-end', 'both')),
        specs jsonb NOT NULL DEFAULT '{}',
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp,
        deleted boolean NOT NULL DEFAULT false,
        deleted_at timestamp
      )`);
    // Names are unique among live spec sets (Cinder's QoSSpecsExists).
    await q.query(`CREATE UNIQUE INDEX qos_specs_live_name ON qos_specs (name) WHERE NOT deleted`);
    await q.query(`ALTER TABLE volume_types ADD COLUMN qos_specs_id uuid REFERENCES qos_specs(id)`);
    await q.query(`CREATE INDEX volume_types_qos_specs_id ON volume_types (qos_specs_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE volume_types DROP COLUMN qos_specs_id`);
    await q.query(`DROP TABLE qos_specs`);
  }
}
