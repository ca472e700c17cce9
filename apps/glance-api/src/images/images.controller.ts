import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { badRequest } from '../common/glance-errors';
import { Caller } from '../common/glance-request';
import { ImagesService } from './images.service';

/** `/v2/images`: create, show (list, update and delete come with their modules). */
@Controller('v2/images')
export class ImagesController {
  constructor(private readonly service: ImagesService) {}

  @Post()
  @HttpCode(201)
  async create(
    @Caller() caller: RequestContext,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('Body expected in request.');
    }
    const fields = body as Record<string, unknown>;
    const image = await this.service.create(caller, {
      name: typeof fields.name === 'string' ? fields.name : null,
      disk_format: typeof fields.disk_format === 'string' ? fields.disk_format : null,
      container_format:
        typeof fields.container_format === 'string' ? fields.container_format : null,
    });
    res.setHeader('Location', `/v2/images/${image.id}`);
    return this.service.view(image);
  }

  @Get(':id')
  async show(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
  ): Promise<Record<string, unknown>> {
    return this.service.view(await this.service.visible(caller, id));
  }
}
