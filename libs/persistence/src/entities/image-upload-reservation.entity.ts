import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Bytes an upload in progress holds against its owner's image storage quota. */
@Entity({ name: 'image_upload_reservations' })
export class ImageUploadReservationEntity {
  @PrimaryColumn('uuid')
  image_id!: string;

  @Column('varchar', { length: 255 })
  owner!: string;

  @Column('bigint')
  bytes!: string;

  /** The glance-api (SERVICE_HOST) whose upload holds it. */
  @Column('varchar', { length: 255 })
  host!: string;

  /** After this (UTC) it no longer counts, and glance-api's sweep removes it. */
  @Column('timestamp')
  expire!: Date;

  @Column('timestamp')
  created_at!: Date;

  @Column('timestamp', { nullable: true })
  updated_at!: Date | null;
}
