import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Work a service has started on a resource (Cinder's `workers` table): if the service dies,
 * its next start finds the row and cleans the resource up.
 */
@Entity({ name: 'workers' })
export class WorkerEntity {
  @PrimaryGeneratedColumn('increment')
  id!: number;

  @Column('varchar', { length: 40 })
  resource_type!: string;

  @Column('uuid')
  resource_id!: string;

  /** The resource's status when the work started; cleanup only acts if it is unchanged. */
  @Column('varchar', { length: 255 })
  status!: string;

  /** The service host that does the work (`host@backend` for cinder-volume). */
  @Column('varchar', { length: 255 })
  service_host!: string;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;
}
