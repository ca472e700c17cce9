import type { EntityManager } from 'typeorm';
import {
  IMAGE_MEMBER_STATUSES,
  imageLocationMachine,
  type ImageLocationEvent,
  imageMachine,
  type ImageEvent,
  type ImageMemberStatus,
} from '@cinderflow/status-machines';
import { ImageEntity, ImageLocationEntity, ImageMemberEntity } from '../entities/image.entity';
import { applyTransition, type TransitionRequest } from '../transition';
import { NOW_UTC } from '../utc';

/** Who asks: Glance shows an admin everything, others their own, public, community and shared. */
export interface ImageViewer {
  projectId: string;
  isAdmin: boolean;
}

/** Statuses the images API no longer shows: the image is gone for it (Glance answers 404). */
export const GONE_IMAGE_STATUSES = ['deleted', 'pending_delete'] as const;

/** The `member_status` an image list takes: one member status, or `all` (Glance's default: accepted). */
export type MemberStatusFilter = ImageMemberStatus | 'all';

export const MEMBER_STATUS_FILTERS: readonly MemberStatusFilter[] = [
  ...IMAGE_MEMBER_STATUSES,
  'all',
];

const SQL_ALIAS = /^[A-Za-z_][A-Za-z0-9_]*$/;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export type NewImage = Pick<ImageEntity, 'id' | 'owner'> &
  Partial<
    Pick<
      ImageEntity,
      | 'name'
      | 'disk_format'
      | 'container_format'
      | 'visibility'
      | 'protected'
      | 'min_disk'
      | 'min_ram'
      | 'os_hidden'
      | 'tags'
      | 'properties'
    >
  >;

/** Image rows, their locations and members: what glance-api, the scrubber and tasks share. */
export class ImagesRepository {
  constructor(private readonly manager: EntityManager) {}

  async insert(image: NewImage): Promise<ImageEntity> {
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(ImageEntity)
      .values({
        visibility: 'shared',
        protected: false,
        min_disk: 0,
        min_ram: 0,
        os_hidden: false,
        tags: [],
        properties: {},
        ...image,
        status: imageMachine.initial,
        created_at: () => NOW_UTC,
      })
      .returning('*')
      .execute();
    return (result.raw as ImageEntity[])[0];
  }

  /** A live image (not deleted, not pending_delete) by id, whoever owns it. */
  async findLive(id: string): Promise<ImageEntity | null> {
    if (!UUID.test(id)) return null;
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .where('i.id = :id', { id })
      .andWhere('i.status NOT IN (:...gone)', { gone: GONE_IMAGE_STATUSES })
      .getOne();
  }

  /** A live image this viewer may see (Glance's visibility rules), or null. */
  async findVisible(id: string, viewer: ImageViewer): Promise<ImageEntity | null> {
    const image = await this.findLive(id);
    if (!image) return null;
    if (viewer.isAdmin || image.owner === viewer.projectId) return image;
    if (image.visibility === 'public' || image.visibility === 'community') return image;
    if (image.visibility !== 'shared') return null;
    const member = await this.manager.findOne(ImageMemberEntity, {
      where: { image_id: id, member: viewer.projectId, deleted: false },
    });
    return member ? image : null;
  }

  /**
   * The images a viewer may list, as a condition on `images` aliased `alias`, for
   * `query.andWhere(sql, params)` (Glance's _select_images_query): an admin every image;
   * anyone else public and community images, its own, and the `shared` images it is a member
   * of with this member status (`all`: any). Glance's other list rules stay with the caller:
   * live images only, and without a `visibility` filter no community image but the viewer's own.
   */
  static visibleToClause(
    viewer: ImageViewer,
    memberStatus: MemberStatusFilter = 'accepted',
    alias = 'i',
  ): { sql: string; params: Record<string, unknown> } {
    if (!SQL_ALIAS.test(alias)) throw new Error(`not an SQL alias: ${alias}`);
    if (!MEMBER_STATUS_FILTERS.includes(memberStatus)) {
      throw new Error(`not a member status: ${String(memberStatus)}`);
    }
    if (viewer.isAdmin) return { sql: 'TRUE', params: {} };
    const status = memberStatus === 'all' ? '' : ' AND vm.status = :visibleToMemberStatus';
    return {
      sql:
        `(${alias}.visibility IN ('public', 'community') OR ${alias}.owner = :visibleToProject` +
        ` OR (${alias}.visibility = 'shared' AND EXISTS (SELECT 1 FROM image_members vm` +
        ` WHERE vm.image_id = ${alias}.id AND vm.member = :visibleToProject` +
        ` AND vm.deleted = false${status})))`,
      params:
        memberStatus === 'all'
          ? { visibleToProject: viewer.projectId }
          : { visibleToProject: viewer.projectId, visibleToMemberStatus: memberStatus },
    };
  }

  /** Any row with this id, whatever its status (the scrubber and operators see all). */
  findAny(id: string): Promise<ImageEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.manager.findOne(ImageEntity, { where: { id } });
  }

  /**
   * A live image's row, locked until the transaction ends (SELECT ... FOR UPDATE): a delete or
   * an action decides on the status and locations it reads, and nothing changes them meanwhile.
   */
  async lockLive(id: string): Promise<ImageEntity | null> {
    if (!UUID.test(id)) return null;
    return this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .setLock('pessimistic_write')
      .where('i.id = :id', { id })
      .andWhere('i.deleted = false')
      .andWhere('i.status NOT IN (:...gone)', { gone: GONE_IMAGE_STATUSES })
      .getOne();
  }

  /** Applies an image machine event atomically (one conditional UPDATE). */
  transition(
    id: string,
    event: ImageEvent,
    set?: TransitionRequest<string, ImageEvent, ImageEntity>['set'],
    where?: TransitionRequest<string, ImageEvent, ImageEntity>['where'],
  ): Promise<ImageEntity> {
    return applyTransition(this.manager, {
      machine: imageMachine,
      entity: ImageEntity,
      id,
      event,
      set,
      where,
    });
  }

  /** The image's locations with these statuses, oldest first. */
  locations(
    imageId: string,
    statuses: readonly ImageLocationEntity['status'][] = ['active'],
  ): Promise<ImageLocationEntity[]> {
    return this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .where('l.image_id = :imageId', { imageId })
      .andWhere('l.status IN (:...statuses)', { statuses })
      .orderBy('l.id', 'ASC')
      .getMany();
  }

  /** Active locations of many images at once (for lists), by image id. */
  async activeLocationsOf(imageIds: string[]): Promise<Map<string, ImageLocationEntity[]>> {
    const byImage = new Map<string, ImageLocationEntity[]>();
    if (imageIds.length === 0) return byImage;
    const rows = await this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .where('l.image_id IN (:...imageIds)', { imageIds })
      .andWhere(`l.status = 'active'`)
      .orderBy('l.id', 'ASC')
      .getMany();
    for (const row of rows) {
      byImage.set(row.image_id, [...(byImage.get(row.image_id) ?? []), row]);
    }
    return byImage;
  }

  async addLocation(
    imageId: string,
    value: string,
    metaData: Record<string, unknown>,
  ): Promise<ImageLocationEntity> {
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(ImageLocationEntity)
      .values({
        image_id: imageId,
        value,
        meta_data: () => 'CAST(:metaData AS jsonb)',
        status: 'active',
        created_at: () => NOW_UTC,
      })
      .setParameter('metaData', JSON.stringify(metaData))
      .returning('*')
      .execute();
    return (result.raw as ImageLocationEntity[])[0];
  }

  /** Applies an image location machine event atomically (one conditional UPDATE). */
  transitionLocation(
    id: number,
    event: ImageLocationEvent,
    set?: TransitionRequest<string, ImageLocationEvent, ImageLocationEntity>['set'],
  ): Promise<ImageLocationEntity> {
    return applyTransition(this.manager, {
      machine: imageLocationMachine,
      entity: ImageLocationEntity,
      id,
      event,
      set,
    });
  }

  /**
   * Locks one location whose data is to be removed, until the transaction ends: one still
   * `pending_delete` (`pending`), or a `leftover`, a location still `active` although its image
   * is `deleted` (an immediate delete whose data removal did not happen yet). Null when it is
   * no longer such a location, or, with `skipLocked`, when someone else holds it: two removers
   * never hold the same location, and the second one finds it done.
   */
  claimLocation(
    id: number,
    kind: 'pending' | 'leftover',
    options: { skipLocked: boolean },
  ): Promise<ImageLocationEntity | null> {
    const query = this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .setLock('pessimistic_write')
      .where('l.id = :id', { id })
      .andWhere('l.deleted = false');
    if (kind === 'pending') {
      query.andWhere(`l.status = 'pending_delete'`);
    } else {
      query
        .andWhere(`l.status = 'active'`)
        .andWhere(
          `EXISTS (SELECT 1 FROM images i WHERE i.id = l.image_id AND i.status = 'deleted')`,
        );
    }
    if (options.skipLocked) query.setOnLocked('skip_locked');
    return query.getOne();
  }

  /**
   * The scrubber's worklist, one page in id order: locations `pending_delete` for at least
   * `scrubTimeS` seconds (Glance's scrub_time, counted from the delete).
   */
  pendingDeleteLocations(
    scrubTimeS: number,
    afterId: number,
    limit: number,
  ): Promise<ImageLocationEntity[]> {
    return this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .where(`l.status = 'pending_delete'`)
      .andWhere('l.deleted = false')
      .andWhere(`l.updated_at <= ${NOW_UTC} - make_interval(secs => :scrubTimeS)`, { scrubTimeS })
      .andWhere('l.id > :afterId', { afterId })
      .orderBy('l.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Leftovers (see claimLocation), one page in id order. */
  leftoverLocations(afterId: number, limit: number): Promise<ImageLocationEntity[]> {
    return this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .innerJoin(ImageEntity, 'i', 'i.id = l.image_id')
      .where(`l.status = 'active'`)
      .andWhere('l.deleted = false')
      .andWhere(`i.status = 'deleted'`)
      .andWhere('l.id > :afterId', { afterId })
      .orderBy('l.id', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Locks a `pending_delete` image and says whether any of its locations is still
   * `pending_delete`. The lock makes two scrubbers that remove an image's last two locations at
   * once take turns here, so the second sees the first's commit and finishes the image.
   */
  async lockPendingDelete(imageId: string): Promise<{ pendingLocations: number } | null> {
    const image = await this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .setLock('pessimistic_write')
      .where('i.id = :imageId', { imageId })
      .andWhere(`i.status = 'pending_delete'`)
      .andWhere('i.deleted = false')
      .getOne();
    if (!image) return null;
    const pendingLocations = await this.manager
      .createQueryBuilder(ImageLocationEntity, 'l')
      .where('l.image_id = :imageId', { imageId })
      .andWhere(`l.status = 'pending_delete'`)
      .getCount();
    return { pendingLocations };
  }

  /** `pending_delete` images none of whose locations is `pending_delete` any more. */
  async pendingDeleteImagesWithoutPendingLocations(limit: number): Promise<string[]> {
    const rows = await this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .select('i.id', 'id')
      .where(`i.status = 'pending_delete'`)
      .andWhere('i.deleted = false')
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM image_locations l
                     WHERE l.image_id = i.id AND l.status = 'pending_delete')`,
      )
      .orderBy('i.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((row) => row.id);
  }
}
