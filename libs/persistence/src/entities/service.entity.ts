import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A running (or once running) service; `updated_at` is its heartbeat, as in Cinder. */
@Entity({ name: 'services' })
export class ServiceEntity {
  @PrimaryGeneratedColumn('increment')
  id!: number;

  @Column('varchar', { length: 255 })
  host!: string;

  @Column('varchar', { length: 255 })
  binary!: string;

  @Column('varchar', { length: 255 })
  topic!: string;

  @Column('varchar', { length: 255 })
  availability_zone!: string;

  @Column('integer', { default: 0 })
  report_count!: number;

  @Column('boolean', { default: false })
  disabled!: boolean;

  @Column('varchar', { length: 255, nullable: true })
  disabled_reason!: string | null;

  /** freeze-host: the backend refuses management operations until thaw-host. */
  @Column('boolean', { default: false })
  frozen!: boolean;

  @Column('varchar', { length: 255, nullable: true })
  active_backend_id!: string | null;

  @Column('varchar', { length: 36, default: 'disabled' })
  replication_status!: string;

  @Column('varchar', { length: 255, nullable: true })
  cluster_name!: string | null;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6, nullable: true })
  updated_at!: Date | null;
}
