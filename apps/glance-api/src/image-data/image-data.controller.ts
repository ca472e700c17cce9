import { pipeline } from 'node:stream/promises';
import { Controller, Get, Inject, Param, Put, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { Logger } from '@cinderflow/logging';
import type { RequestContext } from '@cinderflow/request-context';
import { LOGGER } from '@cinderflow/service-runtime';
import { Caller } from '../common/glance-request';
import { ImageDataService } from './image-data.service';
import { discardUnreadBody, uploadBody } from './unread-body';

/** `/v2/images/{id}/file`: upload (PUT) and download (GET) of an image's data. */
@Controller('v2/images')
export class ImageDataController {
  constructor(
    private readonly data: ImageDataService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Put(':id/file')
  async upload(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    try {
      await this.data.uploadV2(caller, id, req.headers, uploadBody(req));
    } catch (error) {
      discardUnreadBody(req, res);
      throw error;
    }
    res.status(204).end();
  }

  @Get(':id/file')
  async download(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const prefer = req.query.prefer;
    const download = await this.data.download(caller, id, {
      range: req.header('range'),
      contentRange: req.header('content-range'),
      prefer: Array.isArray(prefer) ? String(prefer[prefer.length - 1]) : (prefer as string),
    });
    if (download.status === 204) {
      res.status(204).end();
      return;
    }
    res.status(download.status).set(download.headers);
    if (req.method === 'HEAD') {
      download.stream.destroy();
      res.end();
      return;
    }
    // Streams with backpressure; a client that goes away stops the read.
    await pipeline(download.stream, res).catch((error: Error) => {
      this.logger.debug({ imageId: id, err: error.message }, 'image download cut short');
    });
  }
}
