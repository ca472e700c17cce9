import { Controller, Get, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';

/**
 * Glance's version list (glance/api/versions.py) for a server with several stores
 * (enabled_backends) and no image cache: 2.17 is CURRENT.
 */
const VERSIONS: Array<[string, 'CURRENT' | 'SUPPORTED']> = [
  ['2.15', 'SUPPORTED'],
  ['2.13', 'SUPPORTED'],
  ['2.12', 'SUPPORTED'],
  ['2.11', 'SUPPORTED'],
  ['2.10', 'SUPPORTED'],
  ['2.9', 'SUPPORTED'],
  ['2.8', 'SUPPORTED'],
  ['2.17', 'CURRENT'],
  ['2.7', 'SUPPORTED'],
  ['2.6', 'SUPPORTED'],
  ['2.5', 'SUPPORTED'],
  ['2.4', 'SUPPORTED'],
  ['2.3', 'SUPPORTED'],
  ['2.2', 'SUPPORTED'],
  ['2.1', 'SUPPORTED'],
  ['2.0', 'SUPPORTED'],
];

export function versionsDocument(req: Request): { versions: unknown[] } {
  const base = `${req.protocol}://${req.get('host') ?? '127.0.0.1'}/`;
  return {
    versions: VERSIONS.map(([version, status]) => ({
      id: `v${version}`,
      status,
      links: [{ rel: 'self', href: `${base}v2/` }],
    })),
  };
}

/** `GET /` answers 300 Multiple Choices, `GET /versions` 200, both with the list. */
@Controller()
export class VersionsController {
  @Get()
  root(@Req() req: Request, @Res() res: Response): void {
    res.status(300).json(versionsDocument(req));
  }

  @Get('versions')
  versions(@Req() req: Request, @Res() res: Response): void {
    res.status(200).json(versionsDocument(req));
  }
}
