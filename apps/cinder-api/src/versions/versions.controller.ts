import { Controller, Get, HttpCode, Req } from '@nestjs/common';
import type { Request } from 'express';
import { baseUrl } from '../common/links';
import { MAX_VERSION, MIN_VERSION, VERSION_UPDATED } from '../common/microversion';

function versionDocument(req: Request) {
  return {
    versions: [
      {
        id: 'v3.0',
        status: 'CURRENT',
        version: MAX_VERSION.toString(),
        min_version: MIN_VERSION.toString(),
        updated: VERSION_UPDATED,
        links: [
          { href: 'https://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
          { href: `${baseUrl(req)}/v3/`, rel: 'self' },
        ],
        'media-types': [
          { base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' },
        ],
      },
    ],
  };
}

/** `GET /` (300 Multiple Choices) and `GET /v3/` (200), as Cinder's versions app. */
@Controller()
export class VersionsController {
  @Get()
  @HttpCode(300)
  root(@Req() req: Request) {
    return versionDocument(req);
  }

  @Get('v3')
  v3(@Req() req: Request) {
    return versionDocument(req);
  }
}
