import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A user-visible message about a failed operation (Cinder's messages API, 3.3). */
@Entity({ name: 'messages' })
export class MessageEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  project_id!: string;

  @Column('varchar', { length: 255 })
  request_id!: string;

  @Column('varchar', { length: 255 })
  resource_type!: string;

  @Column('varchar', { length: 36, nullable: true })
  resource_uuid!: string | null;

  @Column('varchar', { length: 255 })
  event_id!: string;

  @Column('varchar', { length: 255 })
  message_level!: string;

  @Column('varchar', { length: 10 })
  action_id!: string;

  @Column('varchar', { length: 10 })
  detail_id!: string;

  /** What went wrong, in more words than the user message (for operators). */
  @Column('text', { nullable: true })
  detail!: string | null;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6 })
  expires_at!: Date;
}
