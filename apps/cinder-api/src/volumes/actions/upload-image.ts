import { backendOf, Destinations, VolumeRpc } from '@cinderflow/contracts';
import {
  type GlanceImage,
  ImageServiceError,
  ImageServiceUnavailableError,
} from '@cinderflow/image-client';
import {
  applyTransition,
  StatusConflictError,
  VolumeEntity,
  VolumeGlanceMetadataRepository,
  VolumeTypesRepository,
  type VolumeTypeEntity,
} from '@cinderflow/persistence';
import { volumeMachine } from '@cinderflow/status-machines';
import { badRequest, invalidVolume } from '../../common/cinder-errors';
import { authorize } from '../../common/policy';
import { timestamp } from '../../common/links';
import {
  BooleanLike,
  DescriptionOrNull,
  Strict,
  StringEnum,
  toBoolean,
  Type,
  UUID_PATTERN,
} from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext, ActionResult } from './action-context';

/** cinder/api/schemas/volume_actions.py volume_upload_image (container_format: description). */
const baseProperties = {
  image_name: Type.String({ minLength: 1, maxLength: 255 }),
  force: Type.Optional(BooleanLike),
  disk_format: Type.Optional(
    StringEnum(['raw', 'vmdk', 'vdi', 'qcow2', 'vhd', 'vhdx', 'ploop'] as const),
  ),
  container_format: Type.Optional(DescriptionOrNull),
};
const uploadBody = new RequestSchema(Strict(baseProperties));

/** volume_upload_image_v31 (3.1, UPLOAD_IMAGE_PARAMS): visibility and protected too. */
const uploadBodyV31 = new RequestSchema(
  Strict({
    ...baseProperties,
    visibility: Type.Optional(StringEnum(['community', 'public', 'private', 'shared'] as const)),
    protected: Type.Optional(BooleanLike),
  }),
);

/** Cinder's glance_core_properties default: what a volume's image metadata never passes on. */
const GLANCE_CORE_PROPERTIES = [
  'checksum',
  'container_format',
  'disk_format',
  'image_name',
  'image_id',
  'min_disk',
  'min_ram',
  'name',
  'size',
];

/** image_utils.GLANCE_RESERVED_NAMESPACES: prefixes filtered out of what is sent to Glance. */
const GLANCE_RESERVED_NAMESPACES = ['os_glance', 'img_signature', 'signature_verified'];

/**
 * Attributes Glance sets itself and refuses in a create (its read-only base properties): Cinder
 * only ever captures core properties and custom ones, but an admin may have set any key with
 * os-set_image_metadata, and sending one of these would make glance-api refuse the image.
 */
const GLANCE_READ_ONLY = [
  'id',
  'status',
  'owner',
  'created_at',
  'updated_at',
  'os_hash_algo',
  'os_hash_value',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'locations',
  'location',
  'stores',
  'tags',
];

/**
 * os-volume_upload_image (cinder/api/contrib/volume_actions.py _volume_upload_image and
 * cinder/volume/api.py copy_volume_to_image). The image is created in glance-api with the
 * caller's token (`queued`, owned by the caller's project, with the volume's custom image
 * properties); then, in one transaction, the volume goes `uploading` (saving what it was) and
 * copy_volume_to_image leaves for its backend through the outbox. An image create that fails
 * leaves the volume untouched; a transaction that fails after it deletes the image again.
 */
export async function uploadImage(ctx: ActionContext, args: unknown): Promise<ActionResult> {
  const { volume, caller, version } = ctx;
  const v31 = version.atLeast('3.1');
  const params: {
    image_name: string;
    force?: boolean | string;
    disk_format?: string;
    container_format?: string | null;
    visibility?: string;
    protected?: boolean | string;
  } = v31 ? uploadBodyV31.check(args) : uploadBody.check(args);
  let force = toBoolean(params.force ?? false);

  // An explicit null container_format is kept (Python's params.get(key, default)).
  const imageMeta: Record<string, unknown> = {
    container_format: params.container_format === undefined ? 'bare' : params.container_format,
    disk_format: params.disk_format ?? 'raw',
    name: params.image_name,
  };
  if (v31) {
    imageMeta.visibility = params.visibility ?? 'private';
    imageMeta.protected = toBoolean(params.protected ?? false);
    if (imageMeta.visibility === 'public') {
      authorize(caller, 'volume_extension:volume_actions:upload_public');
    }
  }

  // Cinder ignores force unless enable_force_upload is set.
  if (force && !ctx.config.ENABLE_FORCE_UPLOAD) force = false;
  const expected = force ? ['available', 'in-use'] : ['available'];
  const refusal = () =>
    invalidVolume(`Volume ${volume.id} status must be ${expected.join(' or ')}`);
  // Checked before the image is made, so that a refusal leaves nothing behind in glance-api;
  // the transition below checks it again, atomically.
  if (!expected.includes(volume.status)) throw refusal();
  if (!volume.host) throw invalidVolume(`Volume ${volume.id} has no backend.`);

  const properties = customProperties(
    await new VolumeGlanceMetadataRepository(ctx.dataSource.manager).get(volume.id),
    imageMeta,
  );
  const image = await createImage(ctx, { ...imageMeta, ...properties });

  let row: VolumeEntity;
  try {
    row = await ctx.dataSource.transaction(async (tx) => {
      const updated = await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: force ? 'upload_start_forced' : 'upload_start',
        // The image this upload fills: cinder-volume acts only on this upload's message.
        set: {
          admin_metadata: () =>
            `admin_metadata || jsonb_build_object('upload_image_id', '${image.id}')`,
        },
      });
      await ctx.outbox.send(
        tx,
        Destinations.volume(backendOf(updated.host!)),
        VolumeRpc.copyVolumeToImage,
        {
          volume_id: volume.id,
          image_meta: {
            id: image.id,
            container_format: image.container_format,
            disk_format: image.disk_format,
          },
        },
      );
      return updated;
    });
  } catch (error) {
    // Nothing will fill the image: it goes (the caller may not be able to; then it stays queued).
    await ctx.images.delete(caller, image.id).catch(() => undefined);
    if (error instanceof StatusConflictError) throw refusal();
    throw error;
  }

  const type = await new VolumeTypesRepository(ctx.dataSource.manager).findAny(row.volume_type_id);
  const response: Record<string, unknown> = {
    id: row.id,
    updated_at: timestamp(row.updated_at),
    status: 'uploading',
    display_description: row.display_description,
    size: row.size,
    volume_type: type ? volumeTypeObject(type) : null,
    image_id: image.id,
    container_format: image.container_format,
    disk_format: image.disk_format,
    image_name: image.name,
  };
  // Glance v2 always shows both; Cinder passes them on when the image has them.
  if ('protected' in image) response.protected = image.protected;
  if ('visibility' in image) response.visibility = image.visibility;
  return { status: 202, body: { 'os-volume_upload_image': response } };
}

/**
 * _merge_volume_image_meta, then filter_out_reserved_namespaces_metadata: the volume's image
 * metadata but Glance's core properties, what the request set already, and reserved namespaces.
 */
export function customProperties(
  volumeImageMetadata: Record<string, string>,
  imageMeta: Record<string, unknown>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(volumeImageMetadata).filter(
      ([key]) =>
        !GLANCE_CORE_PROPERTIES.includes(key) &&
        !(key in imageMeta) &&
        !GLANCE_RESERVED_NAMESPACES.some((prefix) => key.startsWith(prefix)) &&
        !GLANCE_READ_ONLY.includes(key),
    ),
  );
}

/** GlanceImageService.create, with Cinder's answers to its failures (all 400). */
async function createImage(
  ctx: ActionContext,
  body: Record<string, unknown>,
): Promise<GlanceImage> {
  let image: GlanceImage;
  try {
    image = await ctx.images.create(ctx.caller, body);
  } catch (error) {
    if (error instanceof ImageServiceUnavailableError) {
      throw badRequest(`Connection to glance failed: ${error.message}`);
    }
    // glanceclient's HTTPException renders as "HTTP <details>".
    if (error instanceof ImageServiceError) throw badRequest(`HTTP ${error.message}`);
    throw error;
  }
  if (!new RegExp(UUID_PATTERN).test(image.id)) {
    throw badRequest(`The image service answered with an image id that is no UUID: ${image.id}`);
  }
  return image;
}

/**
 * The volume's VolumeType object as Cinder's JSON serializer writes it into this response
 * (oslo's to_primitive of the object: its fields loaded with the volume, extra_specs among them).
 */
function volumeTypeObject(type: VolumeTypeEntity): Record<string, unknown> {
  return {
    created_at: timestamp(type.created_at),
    updated_at: null,
    deleted_at: null,
    deleted: type.deleted,
    id: type.id,
    name: type.name,
    description: type.description,
    is_public: type.is_public,
    extra_specs: type.extra_specs ?? {},
    qos_specs_id: null,
  };
}
