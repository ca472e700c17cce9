import { Controller, Get, Inject } from '@nestjs/common';
import { ImageSchema } from './image-schema';

/**
 * `/v2/schemas/...` (glance/api/v2/schemas.py): the documents clients load before anything
 * else (glanceclient validates images and builds its JSON patches from them).
 */
@Controller('v2/schemas')
export class SchemasController {
  constructor(@Inject(ImageSchema) private readonly imageSchema: ImageSchema) {}

  @Get('image')
  image(): Record<string, unknown> {
    return this.imageSchema.raw();
  }

  @Get('images')
  images(): Record<string, unknown> {
    return this.imageSchema.collection();
  }
}
