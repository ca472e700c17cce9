import { Body, Controller, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/glance-request';
import { ImagesService } from './images.service';

/** The raw query string: Glance reads repeated parameters (`tag`) and their order. */
function queryString(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at < 0 ? '' : req.originalUrl.slice(at + 1);
}

/** `/v2/images`: create, list, show, update (data, delete and actions come with their modules). */
@Controller('v2/images')
export class ImagesController {
  constructor(private readonly service: ImagesService) {}

  @Post()
  @HttpCode(201)
  async create(
    @Caller() caller: RequestContext,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    const image = await this.service.createFromRequest(caller, body);
    // webob makes the Location absolute.
    res.setHeader('Location', `${req.protocol}://${req.get('host')}/v2/images/${image.id}`);
    res.setHeader(
      'OpenStack-image-store-ids',
      this.service.stores
        .all()
        .map((s) => s.id)
        .join(','),
    );
    return this.service.view(image);
  }

  @Get()
  async list(
    @Caller() caller: RequestContext,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    const page = await this.service.list(caller, queryString(req));
    return {
      images: await this.service.views(page.images),
      first: page.first,
      schema: '/v2/schemas/images',
      ...(page.next === undefined ? {} : { next: page.next }),
    };
  }

  @Get(':id')
  async show(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
  ): Promise<Record<string, unknown>> {
    return this.service.view(await this.service.show(caller, id));
  }

  @Patch(':id')
  async update(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Body() body: unknown,
  ): Promise<Record<string, unknown>> {
    return this.service.view(
      await this.service.update(caller, id, req.header('content-type'), body),
    );
  }
}
