import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import type { Request } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { badRequest } from '../common/glance-errors';
import { Caller } from '../common/glance-request';
import { memberToAdd, statusToSet } from './member-requests';
import { memberSchema, membersSchema } from './member.schemas';
import { membersView, memberView } from './member.view';
import { MembersService } from './members.service';

/** Glance's body_reject routes: a GET or DELETE that carries a body is refused. */
function rejectBody(req: Request): void {
  const length = Number(req.header('content-length') ?? 0);
  if (Number.isFinite(length) && length > 0) {
    throw badRequest('A body is not expected with this request.');
  }
}

/** `/v2/images/{image_id}/members`: share an image with other projects (Images API v2.1). */
@Controller('v2/images/:imageId/members')
export class MembersController {
  constructor(private readonly service: MembersService) {}

  @Post()
  @HttpCode(200)
  async create(
    @Caller() caller: RequestContext,
    @Param('imageId') imageId: string,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const memberId = memberToAdd(body);
    return memberView(await this.service.create(caller, imageId, memberId));
  }

  @Get()
  async list(
    @Caller() caller: RequestContext,
    @Param('imageId') imageId: string,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    rejectBody(req);
    return membersView(await this.service.list(caller, imageId));
  }

  @Get(':memberId')
  async show(
    @Caller() caller: RequestContext,
    @Param('imageId') imageId: string,
    @Param('memberId') memberId: string,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    rejectBody(req);
    return memberView(await this.service.show(caller, imageId, memberId));
  }

  @Put(':memberId')
  async update(
    @Caller() caller: RequestContext,
    @Param('imageId') imageId: string,
    @Param('memberId') memberId: string,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    const status = statusToSet(body);
    return memberView(await this.service.update(caller, imageId, memberId, status));
  }

  @Delete(':memberId')
  @HttpCode(204)
  async delete(
    @Caller() caller: RequestContext,
    @Param('imageId') imageId: string,
    @Param('memberId') memberId: string,
    @Req() req: Request,
  ): Promise<void> {
    rejectBody(req);
    await this.service.delete(caller, imageId, memberId);
  }
}

/** `/v2/schemas/member` and `/v2/schemas/members`, which glanceclient loads first. */
@Controller('v2/schemas')
export class MemberSchemasController {
  @Get('member')
  member(@Req() req: Request): Record<string, unknown> {
    rejectBody(req);
    return memberSchema();
  }

  @Get('members')
  members(@Req() req: Request): Record<string, unknown> {
    rejectBody(req);
    return membersSchema();
  }
}
