import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import type { ApiConfig } from '@cinderflow/config';
import type { Connector } from '@cinderflow/contracts';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller, Version } from '../common/api-request';
import { NOT_FOUND, notFound } from '../common/cinder-errors';
import { parseListParams } from '../common/list-params';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { Strict, StringEnum, Type, Uuid, UuidOrNull } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { attachmentDetail, attachmentSummary } from './attachment.views';
import {
  ATTACHMENT_FILTERS,
  ATTACHMENT_SORT_COLUMNS,
  AttachmentsService,
} from './attachments.service';

const createSchema = (withMode: boolean) =>
  new RequestSchema(
    Strict({
      attachment: Strict({
        volume_uuid: Uuid,
        instance_uuid: Type.Optional(UuidOrNull),
        connector: Type.Optional(Type.Unsafe<Connector | null>({ type: ['object', 'null'] })),
        ...(withMode ? { mode: Type.Optional(StringEnum(['rw', 'ro'])) } : {}),
      }),
    }),
  );

const updateSchema = new RequestSchema(
  Strict({
    attachment: Strict({ connector: Type.Unsafe<Connector>({ type: 'object', minProperties: 1 }) }),
  }),
);

const actionSchema = new RequestSchema(
  Strict({ 'os-complete': Type.Unsafe<object | null>({ type: ['object', 'null'] }) }),
);

function requireVersion(version: ApiVersion, minimum: string): void {
  if (!version.atLeast(minimum)) throw notFound('The resource could not be found.');
}

/** `/attachments` (3.27+; complete 3.44+; mode 3.54+). */
@Controller(projectRoutes('attachments'))
@NotFoundMessage(NOT_FOUND.attachment)
export class AttachmentsController {
  private readonly create = createSchema(false);
  private readonly createWithMode = createSchema(true);

  constructor(
    private readonly attachments: AttachmentsService,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @HttpCode(200)
  async onCreate(
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version, '3.27');
    const { attachment: a } = (version.atLeast('3.54') ? this.createWithMode : this.create).check(
      body,
    );
    const created = await this.attachments.create(caller, {
      volumeId: a.volume_uuid,
      instanceUuid: a.instance_uuid ?? null,
      connector: a.connector,
      mode: a.mode ?? null,
    });
    return { attachment: attachmentDetail(created) };
  }

  // Paged like every list, but with no `attachments_links`: Cinder's attachment views have none.
  @Get()
  async list(
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    return { attachments: (await this.rows(query, caller, version)).map(attachmentSummary) };
  }

  @Get('detail')
  async detail(
    @Query() query: Record<string, unknown>,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    return { attachments: (await this.rows(query, caller, version)).map(attachmentDetail) };
  }

  @Get(':id')
  async show(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version, '3.27');
    return { attachment: attachmentDetail(await this.attachments.get(caller, id)) };
  }

  @Put(':id')
  async update(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version, '3.27');
    const { attachment } = updateSchema.check(body);
    return {
      attachment: attachmentDetail(await this.attachments.update(caller, id, attachment.connector)),
    };
  }

  @Post(':id/action')
  @HttpCode(204)
  async action(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version, '3.44');
    actionSchema.check(body);
    await this.attachments.complete(caller, id);
  }

  @Delete(':id')
  @HttpCode(200)
  async remove(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    requireVersion(version, '3.27');
    const remaining = await this.attachments.delete(caller, id);
    return { attachments: remaining.map(attachmentSummary) };
  }

  private rows(query: Record<string, unknown>, caller: RequestContext, version: ApiVersion) {
    requireVersion(version, '3.27');
    const params = parseListParams(query, {
      maxLimit: this.config.OSAPI_MAX_LIMIT,
      sortColumns: ATTACHMENT_SORT_COLUMNS,
      filters: ATTACHMENT_FILTERS,
      version,
    });
    return this.attachments.list(caller, params);
  }
}
