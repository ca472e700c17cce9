import { Controller, Delete, Get, HttpCode, Inject, Param, Req } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource } from 'typeorm';
import { MessageEntity, userMessageText } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller, Version } from '../common/api-request';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { resourceLinks, timestamp } from '../common/links';
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

/** User messages (3.3): why an asynchronous operation failed. */
@Controller(projectRoutes('messages'))
@NotFoundMessage(NOT_FOUND.message)
export class MessagesController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get()
  async list(
    @Req() req: Request,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    this.requireVersion(version);
    const messages = await this.dataSource.manager.find(MessageEntity, {
      where: { project_id: caller.projectId },
      order: { created_at: 'DESC' },
    });
    return { messages: messages.map((m) => view(req, m)) };
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
