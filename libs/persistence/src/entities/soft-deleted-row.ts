import { Column } from 'typeorm';

/** The bookkeeping columns every Cinder/Glance table has: rows are soft-deleted, never removed. */
export abstract class SoftDeletedRow {
  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6, nullable: true })
  updated_at!: Date | null;

  @Column('timestamp', { precision: 6, nullable: true })
  deleted_at!: Date | null;

  @Column('boolean', { default: false })
  deleted!: boolean;
}
