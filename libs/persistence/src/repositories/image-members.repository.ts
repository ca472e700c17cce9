import type { EntityManager } from 'typeorm';
import {
  imageMemberEventFor,
  imageMemberMachine,
  type ImageMemberStatus,
} from '@cinderflow/status-machines';
import { type ImageEntity, ImageMemberEntity } from '../entities/image.entity';
import { applyTransition } from '../transition';
import { NOW_UTC } from '../utc';
import { GONE_IMAGE_STATUSES, type ImageViewer } from './images.repository';

/** What adding a member came to; the API turns each refusal into Glance's answer. */
export type AddImageMemberResult =
  | { outcome: 'added'; member: ImageMemberEntity }
  /** The project is already a (live) member of the image. */
  | { outcome: 'duplicate' }
  /** One more member would pass image_member_quota. */
  | { outcome: 'limit'; attempted: number; maximum: number }
  /** The image was deleted meanwhile. */
  | { outcome: 'image_gone' };

/**
 * Whose member rows a viewer may read (Glance's _image_member_find): an admin and the image's
 * owner every row, anyone else only its own. Null means every row.
 */
export function memberRowsVisibleTo(
  image: Pick<ImageEntity, 'owner'>,
  viewer: ImageViewer,
): string | null {
  if (viewer.isAdmin || (image.owner !== null && image.owner === viewer.projectId)) return null;
  return viewer.projectId;
}

/** The projects an image is shared with (Glance's image_members table, rows soft-deleted). */
export class ImageMembersRepository {
  constructor(private readonly manager: EntityManager) {}

  /** The image's live members this viewer may read, oldest first. */
  list(
    image: Pick<ImageEntity, 'id' | 'owner'>,
    viewer: ImageViewer,
  ): Promise<ImageMemberEntity[]> {
    const only = memberRowsVisibleTo(image, viewer);
    const query = this.manager
      .createQueryBuilder(ImageMemberEntity, 'm')
      .where('m.image_id = :imageId', { imageId: image.id })
      .andWhere('m.deleted = false');
    if (only !== null) query.andWhere('m.member = :only', { only });
    return query.orderBy('m.id', 'ASC').getMany();
  }

  /** One live member of the image, if this viewer may read it. */
  async find(
    image: Pick<ImageEntity, 'id' | 'owner'>,
    memberId: string,
    viewer: ImageViewer,
  ): Promise<ImageMemberEntity | null> {
    const only = memberRowsVisibleTo(image, viewer);
    if (only !== null && only !== memberId) return null;
    return this.manager.findOne(ImageMemberEntity, {
      where: { image_id: image.id, member: memberId, deleted: false },
    });
  }

  /** Live members of the image (what image_member_quota counts). */
  count(imageId: string): Promise<number> {
    return this.manager.count(ImageMemberEntity, { where: { image_id: imageId, deleted: false } });
  }

  /**
   * Shares the image with a project, `pending`. Adds to one image are serialised on the image's
   * row, so the quota and the duplicate check hold under concurrent requests. As Glance does,
   * a project that was a member before gets its old row back (and its first `created_at`).
   * `maximum` < 0 means no limit; the quota is checked before the duplicate, as in Glance.
   */
  add(imageId: string, memberId: string, maximum: number): Promise<AddImageMemberResult> {
    return this.manager.transaction(async (tx) => {
      const locked = (await tx.query(
        `SELECT id FROM images WHERE id = $1 AND status <> ALL($2) FOR NO KEY UPDATE`,
        [imageId, GONE_IMAGE_STATUSES],
      )) as unknown[];
      if (locked.length === 0) return { outcome: 'image_gone' };
      if (maximum >= 0) {
        const attempted = (await new ImageMembersRepository(tx).count(imageId)) + 1;
        if (attempted > maximum) return { outcome: 'limit', attempted, maximum };
      }
      const live = await tx.findOne(ImageMemberEntity, {
        where: { image_id: imageId, member: memberId, deleted: false },
      });
      if (live) return { outcome: 'duplicate' };
      const previous = await tx.findOne(ImageMemberEntity, {
        where: { image_id: imageId, member: memberId, deleted: true },
        order: { id: 'DESC' },
      });
      // A removed member comes back as a new row (the old one stays deleted) that keeps its
      // first created_at, as Glance's revived row does.
      const result = await tx
        .createQueryBuilder()
        .insert()
        .into(ImageMemberEntity)
        .values({
          image_id: imageId,
          member: memberId,
          can_share: false,
          status: imageMemberMachine.initial,
          created_at: previous ? previous.created_at : () => NOW_UTC,
          updated_at: () => NOW_UTC,
        })
        .returning('*')
        .execute();
      return { outcome: 'added', member: (result.raw as ImageMemberEntity[])[0] };
    });
  }

  /**
   * Sets a member's status through the image member machine (one conditional UPDATE).
   * RecordNotFoundError when the member was removed meanwhile.
   */
  setStatus(member: Pick<ImageMemberEntity, 'id'>, status: ImageMemberStatus) {
    return applyTransition(this.manager, {
      machine: imageMemberMachine,
      entity: ImageMemberEntity,
      id: member.id,
      event: imageMemberEventFor(status),
    });
  }

  /** Soft-deletes a member row; false when it was already gone. */
  async remove(member: Pick<ImageMemberEntity, 'id'>): Promise<boolean> {
    const result = await this.manager
      .createQueryBuilder()
      .update(ImageMemberEntity)
      .set({ deleted: true, deleted_at: () => NOW_UTC, updated_at: () => NOW_UTC })
      .where('id = :id AND deleted = false', { id: member.id })
      .execute();
    return (result.affected ?? 0) === 1;
  }
}
