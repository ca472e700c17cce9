import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller } from '../common/api-request';
import { badRequest, NOT_FOUND, notFound } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { NotFoundMessage } from '../common/resource-ids';
import { RequestSchema } from '../common/validation';
import { metaItemBodySchema, metadataBodySchema } from './snapshot.schemas';
import { SnapshotsService } from './snapshots.service';

/** `/snapshots/{id}/metadata`: cinder/api/v3/snapshot_metadata.py. */
@Controller(projectRoutes('snapshots'))
@NotFoundMessage(NOT_FOUND.snapshot)
export class SnapshotMetadataController {
  private readonly metadataSchema = new RequestSchema(metadataBodySchema);
  private readonly itemSchema = new RequestSchema(metaItemBodySchema);

  constructor(private readonly snapshots: SnapshotsService) {}

  @Get(':id/metadata')
  async index(@Param('id') id: string, @Caller() caller: RequestContext) {
    return { metadata: await this.snapshots.metadata(caller, id) };
  }

  /** Adds and changes keys; the others stay. */
  @Post(':id/metadata')
  @HttpCode(200)
  async create(@Param('id') id: string, @Body() body: unknown, @Caller() caller: RequestContext) {
    const { metadata } = this.metadataSchema.check(body);
    return { metadata: await this.snapshots.updateMetadata(caller, id, metadata, false) };
  }

  /** Replaces the whole metadata. */
  @Put(':id/metadata')
  async updateAll(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    const { metadata } = this.metadataSchema.check(body);
    return { metadata: await this.snapshots.updateMetadata(caller, id, metadata, true) };
  }

  @Get(':id/metadata/:key')
  async show(@Param('id') id: string, @Param('key') key: string, @Caller() caller: RequestContext) {
    const metadata = await this.snapshots.metadata(caller, id);
    if (!Object.prototype.hasOwnProperty.call(metadata, key)) {
      throw notFound(NOT_FOUND.snapshotMetadata(id, key));
    }
    return { meta: { [key]: metadata[key] } };
  }

  @Put(':id/metadata/:key')
  async update(
    @Param('id') id: string,
    @Param('key') key: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    const { meta } = this.itemSchema.check(body);
    if (!Object.prototype.hasOwnProperty.call(meta, key)) {
      throw badRequest('Request body and URI mismatch');
    }
    await this.snapshots.updateMetadata(caller, id, meta, false);
    return { meta };
  }

  @Delete(':id/metadata/:key')
  async remove(
    @Param('id') id: string,
    @Param('key') key: string,
    @Caller() caller: RequestContext,
  ): Promise<void> {
    await this.snapshots.deleteMetadataKey(caller, id, key);
  }
}
