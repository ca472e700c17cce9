import { Body, Controller, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { RequestContext } from '@cinderflow/request-context';
import { badRequest, GlanceHttpError } from '../common/glance-errors';
import { Caller } from '../common/glance-request';
import {
  type LocationChange,
  LocationsService,
  validateLocationPath,
} from '../locations/locations.service';
import { ImagesService } from './images.service';

/** `/v2/images`: create, show (list, update and delete come with their modules). */
@Controller('v2/images')
export class ImagesController {
  constructor(
    private readonly service: ImagesService,
    private readonly locations: LocationsService,
  ) {}

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

  /**
   * MERGE(g1): a minimal `PATCH /v2/images/{id}` that serves only the `/locations` operations,
   * so that they can be exercised through the real route until g1's image-patch.ts lands; its
   * dispatch point for `/locations` calls LocationsService.apply exactly as this does. The
   * request checks follow Glance's RequestDeserializer.update.
   */
  @Patch(':id')
  async patch(
    @Caller() caller: RequestContext,
    @Param('id') id: string,
    @Req() req: Request,
  ): Promise<Record<string, unknown>> {
    const types: Record<string, 4 | 10> = {
      'application/openstack-images-v2.0-json-patch': 4,
      'application/openstack-images-v2.1-json-patch': 10,
    };
    const contentType = (req.header('content-type') ?? '').split(';', 1)[0].trim();
    const draft = types[contentType];
    if (!draft) {
      const allowed = Object.keys(types).sort().join(', ');
      throw new GlanceHttpError(415, `Image PATCH expects Content-Type one of: ${allowed}`, {
        'Accept-Patch': allowed,
      });
    }
    const body: unknown = req.body;
    if (body === undefined) throw badRequest('Body expected in request.');
    if (!Array.isArray(body)) {
      throw badRequest('Request body must be a JSON array of operation objects.');
    }
    const changes: LocationChange[] = body.map((raw: unknown) => {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw badRequest('Operations must be JSON objects.');
      }
      const change = raw as Record<string, unknown>;
      const ops = ['add', 'remove', 'replace'] as const;
      let op: LocationChange['op'];
      let pointer: unknown;
      if (draft === 10) {
        if (change.op === undefined) {
          throw badRequest(
            'Unable to find `op` in JSON Schema change. It must be one of the following: add, remove, replace.',
          );
        }
        if (!ops.includes(change.op as LocationChange['op'])) {
          throw badRequest(
            `Invalid operation: \`${String(change.op)}\`. It must be one of the following: add, remove, replace.`,
          );
        }
        op = change.op as LocationChange['op'];
        if (!('path' in change)) throw badRequest("Unable to find 'path' in JSON Schema change");
        pointer = change.path;
      } else {
        const named = ops.filter((name) => name in change);
        if (named.length !== 1) {
          throw badRequest(
            named.length > 1
              ? 'Operation objects must contain only one member named "add", "remove", or "replace".'
              : 'Operation objects must contain exactly one member named "add", "remove", or "replace".',
          );
        }
        op = named[0];
        pointer = change[op];
      }
      const path = decodePointer(String(pointer));
      if (path[0] !== 'locations') {
        throw badRequest('Only /locations operations are served before the images PATCH lands.');
      }
      validateLocationPath(op, path);
      if (op !== 'remove' && !('value' in change)) {
        throw badRequest(`Operation "${op}" requires a member named "value".`);
      }
      return { op, path, value: change.value };
    });
    let image = await this.service.visible(caller, id);
    for (const change of changes) image = await this.locations.apply(caller, image, change);
    return this.service.view(image);
  }
}

/** Glance's JSON pointer decoding (RequestDeserializer._decode_json_pointer). */
function decodePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw badRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) {
    throw badRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  }
  if (pointer.length > 1 && pointer.endsWith('/')) {
    throw badRequest(`Pointer \`${pointer}\` end with "/".`);
  }
  if (pointer.slice(1).trim() === '/') {
    throw badRequest(`Pointer \`${pointer}\` does not contains valid token.`);
  }
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    throw badRequest(
      `Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`,
    );
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}
