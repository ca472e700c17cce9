import type { EntityManager } from 'typeorm';
import { MessageEntity } from '../entities/message.entity';
import { fetchPage, type Page, type PageRequest } from './keyset-page';

/** Columns a message list may filter on (Cinder's resource_filters.json `message`). */
export const MESSAGE_FILTER_COLUMNS = [
  'resource_uuid',
  'resource_type',
  'event_id',
  'request_id',
  'message_level',
] as const;

export type MessageFilters = Partial<Record<(typeof MESSAGE_FILTER_COLUMNS)[number], string>>;

const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** User messages of one project (messages are removed, not soft-deleted). */
export class MessagesRepository {
  constructor(private readonly manager: EntityManager) {}

  find(projectId: string, id: string): Promise<MessageEntity | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.manager.findOne(MessageEntity, { where: { id, project_id: projectId } });
  }

  /** Every message of the project, newest first (lists before 3.5 take no parameters). */
  all(projectId: string): Promise<MessageEntity[]> {
    return this.manager
      .createQueryBuilder(MessageEntity, 'm')
      .where('m.project_id = :p', { p: projectId })
      .orderBy('m.created_at', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .getMany();
  }

  list(
    projectId: string,
    filters: MessageFilters,
    page: PageRequest,
  ): Promise<Page<MessageEntity>> {
    const qb = this.manager
      .createQueryBuilder(MessageEntity, 'm')
      .where('m.project_id = :p', { p: projectId });
    for (const key of MESSAGE_FILTER_COLUMNS) {
      const value = filters[key];
      if (value !== undefined) qb.andWhere(`m.${key}::text = :${key}`, { [key]: value });
    }
    return fetchPage(qb, 'm', page);
  }

  async delete(id: string): Promise<void> {
    await this.manager.delete(MessageEntity, { id });
  }
}
