import { createHash } from 'node:crypto';
import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { type MetadataWrite, VolumeMetadataRepository } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller, Version } from '../common/api-request';
import { badRequest, invalidVolume, NOT_FOUND, notFound } from '../common/cinder-errors';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { Metadata, Strict } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VolumesService } from './volumes.service';

/** cinder/api/schemas/volume_metadata.py `create` (POST and PUT of the whole metadata). */
const metadataBody = new RequestSchema(Strict({ metadata: Metadata() }));
/** `update` (PUT of one key): exactly one item. */
const metaBody = new RequestSchema(
  Strict({ meta: Metadata({ minProperties: 1, maxProperties: 1 }) }),
);

const metadataNotFound = (volumeId: string, key: string) =>
  notFound(`Volume ${volumeId} has no metadata with key ${key}.`);

/** Python's json.dumps (", " and ": " separators, non-ASCII escaped): what Cinder hashes. */
function pythonJson(metadata: Record<string, string>): string {
  const str = (s: string) =>
    JSON.stringify(s).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  const items = Object.entries(metadata).map(([k, v]) => `${str(k)}: ${str(v)}`);
  return `{"metadata": {${items.join(', ')}}}`;
}

const etagOf = (metadata: Record<string, string>) =>
  createHash('md5').update(pythonJson(metadata)).digest('hex');

/**
 * `/volumes/{id}/metadata` (cinder/api/v3/volume_metadata.py): the user metadata as a
 * resource; ETags from 3.15.
 */
@Controller(projectRoutes('volumes'))
@NotFoundMessage(NOT_FOUND.volume)
export class VolumeMetadataController {
  private readonly repo: VolumeMetadataRepository;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    private readonly volumes: VolumesService,
  ) {
    this.repo = new VolumeMetadataRepository(dataSource.manager);
  }

  @Get(':id/metadata')
  async index(
    @Param('id') id: string,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { metadata } = await this.volumes.get(caller, id, 'volume:get_volume_metadata');
    if (version.atLeast('3.15')) res.setHeader('Etag', etagOf(metadata));
    return { metadata };
  }

  @Post(':id/metadata')
  @HttpCode(200)
  async create(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    const { metadata } = metadataBody.check(body);
    await this.volumes.get(caller, id, 'volume:create_volume_metadata');
    return { metadata: this.written(id, await this.repo.write(id, metadata, false)) };
  }

  @Put(':id/metadata')
  async updateAll(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!(await this.etagMatches(caller, id, version, ifMatch)))
      return this.preconditionFailed(res);
    const { metadata } = metadataBody.check(body);
    await this.volumes.get(caller, id, 'volume:update_volume_metadata');
    return { metadata: this.written(id, await this.repo.write(id, metadata, true)) };
  }

  @Get(':id/metadata/:key')
  async show(@Param('id') id: string, @Param('key') key: string, @Caller() caller: RequestContext) {
    const { metadata } = await this.volumes.get(caller, id, 'volume:get_volume_metadata');
    if (!Object.hasOwn(metadata, key)) throw metadataNotFound(id, key);
    return { meta: { [key]: metadata[key] } };
  }

  @Put(':id/metadata/:key')
  async update(
    @Param('id') id: string,
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!(await this.etagMatches(caller, id, version, ifMatch)))
      return this.preconditionFailed(res);
    const { meta } = metaBody.check(body);
    if (!Object.hasOwn(meta, key)) throw badRequest('Request body and URI mismatch');
    if (Object.keys(meta).length > 1) throw badRequest('Request body contains too many items');
    await this.volumes.get(caller, id, 'volume:update_volume_metadata');
    this.written(id, await this.repo.write(id, meta, false));
    return { meta };
  }

  @Delete(':id/metadata/:key')
  @HttpCode(200)
  async remove(
    @Param('id') id: string,
    @Param('key') key: string,
    @Caller() caller: RequestContext,
  ): Promise<void> {
    await this.volumes.get(caller, id, 'volume:delete_volume_metadata');
    const result = await this.repo.deleteKey(id, key);
    if (result.kind === 'not-found') throw metadataNotFound(id, key);
    if (result.kind === 'refused') {
      throw invalidVolume(
        `Deleting volume metadata is not allowed for volumes in ${result.status} status.`,
      );
    }
  }

  private written(id: string, result: MetadataWrite): Record<string, string> {
    if (result.kind === 'not-found') throw notFound(NOT_FOUND.volume(id));
    if (result.kind === 'refused') {
      throw invalidVolume(
        `Updating volume metadata is not allowed for volumes in ${result.status} status.`,
      );
    }
    return result.metadata;
  }

  /** Cinder's _validate_etag: without If-Match anything goes; with it, one tag must match. */
  private async etagMatches(
    caller: RequestContext,
    id: string,
    version: ApiVersion,
    ifMatch: string | undefined,
  ): Promise<boolean> {
    if (!version.atLeast('3.15') || ifMatch === undefined) return true;
    const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, '').replace(/^"|"$/g, ''));
    if (tags.includes('*')) return true;
    const { metadata } = await this.volumes.get(caller, id, 'volume:get_volume_metadata');
    return tags.includes(etagOf(metadata));
  }

  private preconditionFailed(res: Response): undefined {
    res.status(412);
    return undefined;
  }
}
