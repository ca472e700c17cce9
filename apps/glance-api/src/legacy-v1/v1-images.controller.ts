import { Controller, HttpCode, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ImageEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/glance-request';
import { ImageDataService } from '../image-data/image-data.service';
import { discardUnreadBody, uploadBody } from '../image-data/unread-body';

/** v1's timestamps: the datetime without its microseconds, no zone (its to_json sanitizer). */
function v1Time(date: Date | null): string | null {
  return date ? date.toISOString().slice(0, 19) : null;
}

/** An image as Images API v1 returned it (`{"image": {...}}`, custom properties nested). */
export function v1ImageView(image: ImageEntity): Record<string, unknown> {
  const count = (value: string | null) => (value === null ? null : Number(value));
  return {
    image: {
      id: image.id,
      name: image.name,
      status: image.status,
      size: count(image.size),
      virtual_size: count(image.virtual_size),
      checksum: image.checksum,
      disk_format: image.disk_format,
      container_format: image.container_format,
      is_public: image.visibility === 'public',
      min_ram: image.min_ram,
      min_disk: image.min_disk,
      owner: image.owner,
      protected: image.protected,
      properties: { ...image.properties },
      created_at: v1Time(image.created_at),
      updated_at: v1Time(image.updated_at),
      deleted_at: v1Time(image.deleted_at),
      deleted: image.deleted,
    },
  };
}

/**
 * LEGACY: Images API v1's upload, `PUT /v1/images/{id}` with the image data as a raw
 * `application/octet-stream` body. Glance removed API v1 in Rocky; this one route stays so that
 * seed 001's v1 failure path (`saving → killed`) can be reached: a failed or interrupted v1
 * upload kills the image, where v2 puts it back to `queued`. Nothing else of v1 is served
 * (no x-image-meta-* metadata updates, no v1 create, list or download); use v2.
 */
@Controller('v1/images')
export class V1ImagesController {
  constructor(private readonly data: ImageDataService) {}

  @Put(':id')
  @HttpCode(200)
  async upload(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    let image: ImageEntity;
    try {
      image = await this.data.uploadV1(caller, id, req.headers, uploadBody(req));
    } catch (error) {
      discardUnreadBody(req, res);
      throw error;
    }
    if (image.checksum) res.setHeader('ETag', image.checksum);
    return v1ImageView(image);
  }
}
