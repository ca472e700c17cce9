import type { EntityManager } from 'typeorm';
import { TransferEntity } from '../entities/transfer.entity';
import { VolumeEntity } from '../entities/volume.entity';
import { NOW_UTC } from '../utc';
import { applyKeysetPage, type SortKey } from './keyset-page';

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/**
 * Transfer columns a list may filter on. Cinder takes any model column; the salt and hash are
 * left out (no filter should test guesses of them), and so are timestamps, which PostgreSQL
 * would refuse to compare with a malformed value.
 */
export const TRANSFER_FILTER_COLUMNS = [
  'id',
  'volume_id',
  'display_name',
  'no_snapshots',
  'source_project_id',
  'destination_project_id',
  'accepted',
] as const;
export type TransferFilters = Partial<
  Record<(typeof TRANSFER_FILTER_COLUMNS)[number], string | boolean>
>;

export interface TransferListRequest {
  /** Only transfers of volumes this project owns; undefined: every project's (admins). */
  projectId?: string;
  filters: TransferFilters;
  sort: SortKey[];
  limit: number;
  offset: number;
  marker?: string;
  markerNotFound: (marker: string) => Error;
}

/**
 * Transfer rows. A transfer belongs to whoever owns its volume now (Cinder's transfer_get joins
 * the volume for non-admins), so project scoping goes through the volume's row.
 */
export class TransfersRepository {
  constructor(private readonly manager: EntityManager) {}

  private live(projectId: string | undefined) {
    const qb = this.manager.createQueryBuilder(TransferEntity, 't').where('t.deleted = false');
    if (projectId !== undefined) {
      qb.innerJoin(VolumeEntity, 'v', 'v.id = t.volume_id').andWhere('v.project_id = :projectId', {
        projectId,
      });
    }
    return qb;
  }

  /** The live transfer, if `projectId` (when given) owns its volume. */
  findLive(id: string, projectId?: string): Promise<TransferEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.live(projectId).andWhere('t.id = :id', { id }).getOne();
  }

  /**
   * The live transfer, locked FOR UPDATE until the transaction ends: an accept and a delete
   * (or two accepts) of one transfer take turns, and the second finds it gone.
   */
  lockLive(id: string): Promise<TransferEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.manager
      .createQueryBuilder(TransferEntity, 't')
      .setLock('pessimistic_write')
      .where('t.id = :id AND t.deleted = false', { id })
      .getOne();
  }

  async insert(transfer: TransferEntity): Promise<void> {
    await this.manager.insert(TransferEntity, transfer);
  }

  /** Soft-deletes it; an accepted one also records where the volume went. */
  async markDeleted(id: string, acceptedBy?: string): Promise<void> {
    const set: Record<string, unknown> = { deleted: true, deleted_at: () => NOW_UTC };
    if (acceptedBy !== undefined) {
      set.accepted = true;
      set.destination_project_id = acceptedBy;
    }
    await this.manager
      .createQueryBuilder()
      .update(TransferEntity)
      .set(set)
      .where('id = :id AND deleted = false', { id })
      .execute();
  }

  async list(request: TransferListRequest): Promise<TransferEntity[]> {
    const qb = this.live(request.projectId);
    for (const [column, value] of Object.entries(request.filters)) {
      if (value === undefined) continue;
      if ((column === 'id' || column === 'volume_id') && !UUID.test(String(value))) {
        // PostgreSQL would refuse to compare it with a uuid column: it matches nothing.
        qb.andWhere('false');
        continue;
      }
      qb.andWhere(`t.${column} = :f_${column}`, { [`f_${column}`]: value });
    }
    await applyKeysetPage(
      qb,
      't',
      request.sort,
      request.limit,
      request.marker,
      request.markerNotFound,
    );
    if (request.offset > 0) qb.offset(request.offset);
    return qb.getMany();
  }
}
