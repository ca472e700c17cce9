import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/glance-request';
import { ImageLifecycleService } from './image-lifecycle.service';

/** Glance's image_actions.py: deactivate and reactivate, 204 with no body. */
@Controller('v2/images/:id/actions')
export class ImageActionsController {
  constructor(private readonly lifecycle: ImageLifecycleService) {}

  @Post('deactivate')
  @HttpCode(204)
  async deactivate(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    await this.lifecycle.activation(caller, id, 'deactivate');
  }

  @Post('reactivate')
  @HttpCode(204)
  async reactivate(@Caller() caller: RequestContext, @Param('id') id: string): Promise<void> {
    await this.lifecycle.activation(caller, id, 'reactivate');
  }
}
