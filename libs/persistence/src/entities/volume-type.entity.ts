import { Column, Entity, PrimaryColumn } from 'typeorm';

export const DEFAULT_VOLUME_TYPE_ID = '4f1c5ad2-7c3e-4c6b-9a1e-5d0d4b0f7a11';
export const DEFAULT_VOLUME_TYPE_NAME = '__DEFAULT__';

@Entity({ name: 'volume_types' })
export class VolumeTypeEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  name!: string;

  @Column('varchar', { length: 255, nullable: true })
  description!: string | null;

  @Column('boolean', { default: true })
  is_public!: boolean;

  /** Scheduler-relevant specs such as `volume_backend_name`. */
  @Column('jsonb', { default: {} })
  extra_specs!: Record<string, string>;

  /** The QoS spec set associated with the type (at most one). */
  @Column('uuid', { nullable: true })
  qos_specs_id?: string | null;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('boolean', { default: false })
  deleted!: boolean;
}
