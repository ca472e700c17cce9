import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The bytes an upload in progress holds against its owner's image storage quota, as Cinder's
 * reservations hold a delta: taken with the owner locked when the upload starts (and grown
 * while data of unknown size streams in), gone when the upload commits (its bytes are then the
 * image's size), fails, or its image is deleted; one past `expire` no longer counts.
 * One per image: an image has one upload at a time (`queued → saving` is exclusive).
 */
export class ImageUploadReservations1765000000000 implements MigrationInterface {
  name = 'ImageUploadReservations1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE image_upload_reservations (
        image_id uuid PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
        owner varchar(255) NOT NULL,
        bytes bigint NOT NULL CHECK (bytes >= 0),
        host varchar(255) NOT NULL,
        expire timestamp NOT NULL,
        created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
        updated_at timestamp
      )`);
    await q.query(
      `CREATE INDEX image_upload_reservations_owner ON image_upload_reservations (owner)`,
    );
    await q.query(
      `CREATE INDEX image_upload_reservations_expire ON image_upload_reservations (expire)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE image_upload_reservations`);
  }
}
