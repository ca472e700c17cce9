import { Controller, Delete, Get, HttpCode, Inject, Param, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { MessageEntity, userMessageText, applyKeysetPage } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { collectionBody, resourceLinks, timestamp } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { isUuid } from '../common/validation';

function view(req: Request, m: MessageEntity) {
  return {
    id: m.id,
    event_id: m.event_id,
    user_message: userMessageText(m),
    message_level: m.message_level,
    resource_type: m.resource_type,
    resource_uuid: m.resource_uuid,
    created_at: timestamp(m.created_at),
    guaranteed_until: timestamp(m.expires_at),
    request_id: m.request_id,
    links: resourceLinks(req, m.project_id, 'messages', m.id),
  };
}

/** Filters a message list takes from 3.5 (Cinder's resource_filters.json `message`). */
const MESSAGE_FILTERS = [
  'resource_uuid',
  'resource_type',
  'event_id',
  'request_id',
  'message_level',
] as const;

/** What a message list sorts by (the Message model's columns); keyset keys are never NULL. */
const MESSAGE_SORT_COLUMNS: Record<string, string> = {
  id: 'm.id',
  project_id: 'm.project_id',
  request_id: 'm.request_id',
  resource_type: 'm.resource_type',
  resource_uuid: "COALESCE(m.resource_uuid, '')",
  event_id: 'm.event_id',
  message_level: 'm.message_level',
  created_at: 'm.created_at',
  expires_at: 'm.expires_at',
};

/** User messages (3.3): why an asynchronous operation failed. */
@Controller(projectRoutes('messages'))
@NotFoundMessage(NOT_FOUND.message)
export class MessagesController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  /**
   * Paged, sorted and filtered from 3.5 (`messages_links` when the page is full); before that
   * Cinder reads no query parameter and lists them all, newest first.
   */
  @Get()
  async list(
    @Req() req: Request,
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    this.requireVersion(version);
    const qb = this.dataSource
      .getRepository(MessageEntity)
      .createQueryBuilder('m')
      .where('m.project_id = :p', { p: caller.projectId });
    if (!version.atLeast('3.5')) {
      const all = await qb.orderBy('m.created_at', 'DESC').addOrderBy('m.id', 'DESC').getMany();
      return { messages: all.map((m) => view(req, m)) };
    }
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: MESSAGE_SORT_COLUMNS,
      filters: MESSAGE_FILTERS,
      version,
    });
    // Only MESSAGE_FILTERS' keys get here, so naming the column by the key is safe.
    for (const [key, value] of Object.entries(params.filters)) {
      qb.andWhere(`m.${key}::text = :${key}`, { [key]: value });
    }
    await applyKeysetPage(qb, 'm', params.sort, params.limit, params.marker, (marker) =>
      notFound(`Message ${marker} could not be found.`),
    );
    const messages = await qb.getMany();
    return collectionBody(
      'messages',
      req,
      query,
      { rows: messages, limit: params.limit },
      messages.map((m) => view(req, m)),
    );
  }

  @Get(':id')
  async show(
    @Req() req: Request,
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    this.requireVersion(version);
    return { message: view(req, await this.find(caller, id)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    this.requireVersion(version);
    await this.dataSource.manager.delete(MessageEntity, { id: (await this.find(caller, id)).id });
  }

  private async find(caller: RequestContext, id: string): Promise<MessageEntity> {
    const message = isUuid(id)
      ? await this.dataSource.manager.findOne(MessageEntity, {
          where: { id, project_id: caller.projectId },
        })
      : null;
    if (!message) throw notFound(NOT_FOUND.message(id));
    return message;
  }

  private requireVersion(version: ApiVersion): void {
    if (!version.atLeast('3.3')) throw notFound('The resource could not be found.');
  }
}
