import { VolumeGlanceMetadataRepository } from '@cinderflow/persistence';
import { invalidVolume, notFound } from '../../common/cinder-errors';
import { Strict, Type } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext, ActionResult } from './action-context';

/** Cinder's parameter_types.image_metadata: values up to a MySQL TEXT. */
const setBody = new RequestSchema(
  Strict({
    metadata: Type.Unsafe<Record<string, string>>({
      type: 'object',
      patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: 'string', maxLength: 65535 } },
      additionalProperties: false,
    }),
  }),
);
const unsetBody = new RequestSchema(Strict({ key: Type.String({ minLength: 1, maxLength: 255 }) }));

const repo = (ctx: ActionContext) => new VolumeGlanceMetadataRepository(ctx.dataSource.manager);

/** os-set_image_metadata (contrib/volume_image_metadata.py create): 200 with all of it. */
export async function setImageMetadata(ctx: ActionContext, args: unknown): Promise<ActionResult> {
  const { metadata } = setBody.check(args);
  const result = await repo(ctx).write(ctx.volume.id, metadata);
  if (result.kind === 'refused') {
    throw invalidVolume(
      `Updating volume metadata is not allowed for volumes in ${result.status} status.`,
    );
  }
  if (result.kind === 'not-found') throw notFound(`Volume ${ctx.volume.id} could not be found.`);
  return { status: 200, body: { metadata: result.metadata } };
}

/** os-show_image_metadata: 200 `{"metadata": {...}}`. */
export async function showImageMetadata(ctx: ActionContext): Promise<ActionResult> {
  return { status: 200, body: { metadata: await repo(ctx).get(ctx.volume.id) } };
}

/** os-unset_image_metadata: 200, no body; a key not there is GlanceMetadataNotFound. */
export async function unsetImageMetadata(ctx: ActionContext, args: unknown): Promise<ActionResult> {
  const { key } = unsetBody.check(args);
  const result = await repo(ctx).deleteKey(ctx.volume.id, key);
  if (result.kind === 'not-found') {
    throw notFound(`Glance metadata for volume/snapshot ${ctx.volume.id} cannot be found.`);
  }
  if (result.kind === 'refused') {
    throw invalidVolume(
      `Deleting volume metadata is not allowed for volumes in ${result.status} status.`,
    );
  }
  return { status: 200 };
}
