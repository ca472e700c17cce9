import { Controller, Delete, HttpCode, Param } from '@nestjs/common';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/glance-request';
import { ImageLifecycleService } from './image-lifecycle.service';

/** `DELETE /v2/images/{id}` (Glance's images.py delete). */
@Controller('v2/images')
export class ImageDeleteController {
  constructor(private readonly lifecycle: ImageLifecycleService) {}

  @Delete(':id')
  @HttpCode(204)
  async delete(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    await this.lifecycle.delete(caller, id);
  }
}
