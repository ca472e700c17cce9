import { Controller, Delete, HttpCode, Param, Put } from '@nestjs/common';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/glance-request';
import { ImagesService } from './images.service';

/** `/v2/images/{id}/tags/{tag}` (glance/api/v2/image_tags.py): 204 either way. */
@Controller('v2/images/:id/tags')
export class ImageTagsController {
  constructor(private readonly service: ImagesService) {}

  @Put(':tag')
  @HttpCode(204)
  async add(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Param('tag') tag: string,
  ): Promise<void> {
    await this.service.addTag(caller, id, tag);
  }

  @Delete(':tag')
  @HttpCode(204)
  async remove(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Param('tag') tag: string,
  ): Promise<void> {
    await this.service.deleteTag(caller, id, tag);
  }
}
