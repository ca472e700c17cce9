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
import { applyKeysetAfter, type SortKey } from './keyset-page';

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

/** Columns `GET /v2/images` filters on. */
export type ImageFilterColumn =
  | 'id'
  | 'name'
  | 'status'
  | 'container_format'
  | 'disk_format'
  | 'owner'
  | 'checksum'
  | 'os_hash_algo'
  | 'os_hash_value'
  | 'size'
  | 'virtual_size'
  | 'min_disk'
  | 'min_ram'
  | 'protected'
  | 'os_hidden'
  | 'created_at'
  | 'updated_at';

/** One filter of an images list, already parsed (Glance's _make_conditions_from_filters). */
export type ImageCondition =
  | { kind: 'in'; column: ImageFilterColumn; values: string[] }
  | {
      kind: 'compare';
      column: ImageFilterColumn;
      op: '=' | '<>' | '<' | '<=' | '>' | '>=';
      /** Times as UTC `YYYY-MM-DD HH:MM:SS.ffffff`. */
      value: string | number | boolean;
    }
  /** The image has every one of these tags. */
  | { kind: 'tags'; values: string[] }
  /** A custom property with exactly this value. */
  | { kind: 'property'; key: string; value: string };

export type ImageSortKey =
  | 'name'
  | 'status'
  | 'container_format'
  | 'disk_format'
  | 'size'
  | 'id'
  | 'created_at'
  | 'updated_at';

export type ImageVisibilityFilter = 'public' | 'private' | 'shared' | 'community' | 'all';

/** `GET /v2/images` as the repository runs it. */
export interface ImageListRequest {
  viewer: ImageViewer;
  conditions: ImageCondition[];
  visibility?: ImageVisibilityFilter;
  /** Shared images listed to a non-admin through its membership in this status. */
  memberStatus: MemberStatusFilter;
  /** In order, ending with `id` (Glance adds `created_at` and `id` when missing). */
  sort: Array<{ key: ImageSortKey; direction: 'asc' | 'desc' }>;
  limit: number;
  marker?: string;
  /** The errors for a marker that is not a live image, or one the viewer may not see. */
  markerNotFound: (marker: string) => Error;
  markerNotVisible: (marker: string) => Error;
}

/** Columns a PATCH (or a tag) changes; the status only ever moves through the machine. */
export type ImageUpdate = Partial<
  Pick<
    ImageEntity,
    | 'name'
    | 'owner'
    | 'visibility'
    | 'protected'
    | 'os_hidden'
    | 'min_disk'
    | 'min_ram'
    | 'disk_format'
    | 'container_format'
    | 'tags'
    | 'properties'
  >
>;

const COLUMN_SQL: Record<ImageFilterColumn, string> = {
  // The column is a uuid; the API compares ids as text (anything may be asked for).
  id: 'i.id::text',
  name: 'i.name',
  status: 'i.status',
  container_format: 'i.container_format',
  disk_format: 'i.disk_format',
  owner: 'i.owner',
  checksum: 'i.checksum',
  os_hash_algo: 'i.os_hash_algo',
  os_hash_value: 'i.os_hash_value',
  size: 'i.size',
  virtual_size: 'i.virtual_size',
  min_disk: 'i.min_disk',
  min_ram: 'i.min_ram',
  protected: 'i.protected',
  os_hidden: 'i.os_hidden',
  created_at: 'i.created_at',
  updated_at: 'COALESCE(i.updated_at, i.created_at)',
};

/** Sort expressions, never NULL (Glance pages NULLs as '' and 0, its column defaults). */
const SORT_SQL: Record<ImageSortKey, string> = {
  name: "COALESCE(i.name, '')",
  status: 'i.status',
  container_format: "COALESCE(i.container_format, '')",
  disk_format: "COALESCE(i.disk_format, '')",
  size: 'COALESCE(i.size, 0)',
  id: 'i.id',
  created_at: 'i.created_at',
  updated_at: 'COALESCE(i.updated_at, i.created_at)',
};

/** What a new image is when its creator does not say (Glance's ImageFactory.new_image). */
const NEW_IMAGE_DEFAULTS = {
  visibility: 'shared',
  protected: false,
  min_disk: 0,
  min_ram: 0,
  os_hidden: false,
  tags: [] as string[],
};

/** Image rows, their locations and members: what glance-api, the scrubber and tasks share. */
export class ImagesRepository {
  constructor(private readonly manager: EntityManager) {}

  /** A new image, or null if a row (live or not) already has its id (Glance's 409). */
  async insertUnlessExists(image: NewImage): Promise<ImageEntity | null> {
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(ImageEntity)
      .values({
        ...NEW_IMAGE_DEFAULTS,
        ...image,
        properties: () => 'CAST(:properties AS jsonb)',
        status: imageMachine.initial,
        created_at: () => NOW_UTC,
        updated_at: () => NOW_UTC,
      })
      .setParameter('properties', JSON.stringify(image.properties ?? {}))
      .orIgnore()
      .returning('*')
      .execute();
    return (result.raw as ImageEntity[])[0] ?? null;
  }

  async insert(image: NewImage): Promise<ImageEntity> {
    const result = await this.manager
      .createQueryBuilder()
      .insert()
      .into(ImageEntity)
      .values({
        ...NEW_IMAGE_DEFAULTS,
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

  /** Changes plain columns of a live image (not its status); null if it is gone. */
  async update(id: string, changes: ImageUpdate): Promise<ImageEntity | null> {
    const { properties, ...columns } = changes;
    const update = this.manager
      .createQueryBuilder()
      .update(ImageEntity)
      .set({
        ...columns,
        ...(properties === undefined ? {} : { properties: () => 'CAST(:properties AS jsonb)' }),
        updated_at: () => NOW_UTC,
      })
      .where('id = :id', { id })
      .andWhere('status NOT IN (:...gone)', { gone: GONE_IMAGE_STATUSES });
    if (properties !== undefined) update.setParameter('properties', JSON.stringify(properties));
    const result = await update.returning('*').execute();
    return (result.raw as ImageEntity[])[0] ?? null;
  }

  /**
   * One page of `GET /v2/images` (Glance's image_get_all): live images but killed ones, those
   * the viewer may list (an admin all; others their project's, public and community ones, and
   * shared ones they are a member of in `memberStatus`), community ones only when asked for or
   * their own, then the filters; keyset paging after the marker in the requested order.
   */
  async list(request: ImageListRequest): Promise<ImageEntity[]> {
    const { viewer } = request;
    const qb = this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .where('i.deleted = false')
      .andWhere('i.status NOT IN (:...unlisted)', {
        unlisted: [...GONE_IMAGE_STATUSES, 'killed'],
      });
    const visible = ImagesRepository.visibleToClause(viewer, request.memberStatus);
    qb.andWhere(visible.sql, visible.params);
    if (request.visibility === undefined) {
      qb.andWhere(`(i.owner = :viewerProject OR i.visibility <> 'community')`, {
        viewerProject: viewer.projectId,
      });
    } else if (request.visibility !== 'all') {
      qb.andWhere('i.visibility = :visibility', { visibility: request.visibility });
    }
    request.conditions.forEach((condition, n) => {
      const p = `c${n}`;
      switch (condition.kind) {
        case 'in':
          qb.andWhere(
            condition.values.length === 0
              ? 'false'
              : `${COLUMN_SQL[condition.column]} IN (:...${p})`,
            { [p]: condition.values },
          );
          break;
        case 'compare':
          qb.andWhere(`${COLUMN_SQL[condition.column]} ${condition.op} :${p}`, {
            [p]: condition.value,
          });
          break;
        case 'tags':
          qb.andWhere(`i.tags @> CAST(:${p} AS text[])`, { [p]: condition.values });
          break;
        case 'property':
          qb.andWhere(`(i.properties ->> CAST(:${p}k AS text)) = :${p}v`, {
            [`${p}k`]: condition.key,
            [`${p}v`]: condition.value,
          });
          break;
      }
    });
    const keys: SortKey[] = request.sort.map(({ key, direction }) => ({
      column: SORT_SQL[key],
      direction,
    }));
    // The id is the last tie-breaker of every page (the API adds created_at and id as Glance
    // does; this only guards the paging).
    if (!request.sort.some((s) => s.key === 'id')) keys.push({ column: 'i.id', direction: 'desc' });
    const markerValues =
      request.marker === undefined ? undefined : await this.markerValues(request, keys);
    if (request.limit === 0) return [];
    applyKeysetAfter(qb, keys, markerValues, request.limit);
    return qb.getMany();
  }

  /** The marker's sort values, as text; Glance's errors for a marker it can't page from. */
  private async markerValues(
    request: ImageListRequest,
    keys: SortKey[],
  ): Promise<Array<string | null>> {
    const marker = request.marker as string;
    if (!UUID.test(marker)) throw request.markerNotFound(marker);
    const qb = this.manager
      .createQueryBuilder(ImageEntity, 'i')
      .select('i.owner', 'owner')
      .addSelect('i.visibility', 'visibility')
      .where('i.id = :marker', { marker })
      .andWhere('i.deleted = false')
      .andWhere('i.status NOT IN (:...gone)', { gone: GONE_IMAGE_STATUSES });
    keys.forEach((key, n) => qb.addSelect(`(${key.column})::text`, `k${n}`));
    const row = await qb.getRawOne<Record<string, string | null>>();
    if (!row) throw request.markerNotFound(marker);
    const image = { id: marker, owner: row.owner, visibility: row.visibility as string };
    if (!(await this.isVisibleTo(image, request.viewer))) {
      throw request.markerNotVisible(marker);
    }
    return keys.map((_, n) => row[`k${n}`]);
  }

  /**
   * Glance's is_image_visible (a membership in any status counts): admin, no owner, the
   * owner's project, public, community, or shared with the viewer.
   */
  async isVisibleTo(
    image: Pick<ImageEntity, 'id' | 'owner' | 'visibility'>,
    viewer: ImageViewer,
  ): Promise<boolean> {
    if (viewer.isAdmin || image.owner === null || image.owner === viewer.projectId) return true;
    if (image.visibility === 'public' || image.visibility === 'community') return true;
    if (image.visibility !== 'shared') return false;
    const member = await this.manager.findOne(ImageMemberEntity, {
      where: { image_id: image.id, member: viewer.projectId, deleted: false },
    });
    return member !== null;
  }

  /** Any row with this id, whatever its status (the scrubber and operators see all). */
  findAny(id: string): Promise<ImageEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.manager.findOne(ImageEntity, { where: { id } });
  }

  /**
   * A live image's row, locked until the transaction ends (SELECT ... FOR UPDATE): a delete, an
   * action, a PATCH or a tag decides on what it reads, and nothing changes it meanwhile.
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
   * `pending_delete` (`pending`), or a `leftover`: a location still `active` although its image
   * is `deleted` (an immediate image delete whose data removal did not happen yet), or one
   * `deleted` by a PATCH whose data removal did not happen yet (`deleted` flag still false).
   * Null when it is no longer such a location, or, with `skipLocked`, when someone else holds
   * it: two removers never hold the same location, and the second one finds it done.
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
      query.andWhere(
        `(l.status = 'deleted' OR (l.status = 'active' AND ` +
          `EXISTS (SELECT 1 FROM images i WHERE i.id = l.image_id AND i.status = 'deleted')))`,
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
      .where(`(l.status = 'deleted' OR (l.status = 'active' AND i.status = 'deleted'))`)
      .andWhere('l.deleted = false')
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
