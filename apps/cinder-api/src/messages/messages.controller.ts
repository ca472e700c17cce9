import { Controller, Delete, Get, HttpCode, Inject, Param, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import {
  MESSAGE_FILTER_COLUMNS,
  type MessageEntity,
  MessagesRepository,
  userMessageText,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { collectionBody, resourceLinks, timestamp } from '../common/links';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';

function view(req: Request, m: MessageEntity) {
  return {
    id: m.id,
    event_id: m.event_id,
    user_message: userMessageText(m),
    message_level: m.message_level,
    // cinder/api/v3/views/messages.py shows the resource only when it is set.
    ...(m.resource_type ? { resource_type: m.resource_type } : {}),
    ...(m.resource_uuid ? { resource_uuid: m.resource_uuid } : {}),
    created_at: timestamp(m.created_at),
    guaranteed_until: timestamp(m.expires_at),
    request_id: m.request_id,
    links: resourceLinks(req, m.project_id, 'messages', m.id),
  };
}

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
  private readonly repo: MessagesRepository;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {
    this.repo = new MessagesRepository(this.dataSource.manager);
  }

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
    authorize(caller, 'message:get_all');
    if (!version.atLeast('3.5')) {
      const all = await this.repo.all(caller.projectId);
      return { messages: all.map((m) => view(req, m)) };
    }
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: MESSAGE_SORT_COLUMNS,
      filters: MESSAGE_FILTER_COLUMNS,
      version,
    });
    const { rows: messages } = await this.repo.list(caller.projectId, params.filters, {
      sort: params.sort,
      limit: params.limit,
      marker: params.marker,
      markerNotFound: (marker) => notFound(NOT_FOUND.message(marker)),
    });
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
    return { message: view(req, await this.find(caller, id, 'message:get')) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    this.requireVersion(version);
    await this.repo.delete((await this.find(caller, id, 'message:delete')).id);
  }

  private async find(caller: RequestContext, id: string, rule: string): Promise<MessageEntity> {
    const message = await this.repo.find(caller.projectId, id);
    if (!message) throw notFound(NOT_FOUND.message(id));
    authorize(caller, rule, message);
    return message;
  }

  private requireVersion(version: ApiVersion): void {
    if (!version.atLeast('3.3')) throw notFound('The resource could not be found.');
  }
}
