import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Who applies a QoS spec set: the hypervisor (front-end), the backend, or both. */
export const QOS_CONSUMERS = ['back-end', 'front-end', 'both'] as const;
export type QosConsumer = (typeof QOS_CONSUMERS)[number];

/** Cinder's quality_of_service_specs: a named set of limits, associated with volume types. */
@Entity({ name: 'qos_specs' })
export class QosSpecsEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  name!: string;

  @Column('varchar', { length: 16, default: 'back-end' })
  consumer!: QosConsumer;

  @Column('jsonb', { default: {} })
  specs!: Record<string, string>;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6, nullable: true })
  updated_at!: Date | null;

  @Column('boolean', { default: false })
  deleted!: boolean;

  @Column('timestamp', { precision: 6, nullable: true })
  deleted_at!: Date | null;
}
