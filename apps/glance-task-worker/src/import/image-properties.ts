import { NEW_IMAGE_KEYWORDS, newImageRefusal } from '@cinderflow/image-store';
import type { NewImage } from '@cinderflow/persistence';
import { INTERNAL_ERROR, TaskFailure } from './task-input';

/** The images API's base properties (glance/api/v2/images.py get_base_properties), in order. */
const BASE_PROPERTIES = [
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'owner',
  'size',
  'virtual_size',
  'container_format',
  'disk_format',
  'created_at',
  'updated_at',
  'tags',
  'direct_url',
  'min_ram',
  'min_disk',
  'self',
  'file',
  'stores',
  'schema',
  'locations',
];

const VISIBILITIES = ['public', 'private', 'shared', 'community'];

export interface Creator {
  projectId: string;
  isAdmin: boolean;
}

/** A value our columns cannot hold: Glance's database would refuse it (its internal error). */
function unstorable(why: string): never {
  throw Object.assign(new TaskFailure(INTERNAL_ERROR), { detail: why });
}

const isString = (value: unknown, max: number) => typeof value === 'string' && value.length <= max;
const isCount = (value: unknown) =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 2 ** 31 - 1;

/**
 * Glance's image_import create_image: the base properties of `image_properties` become the
 * image's fields, the others its custom properties; read-only, unexpected and reserved keys
 * fail the task with the domain's words. Owner: the task's project, or another one an admin
 * names (check_admin_or_same_owner).
 */
export function imageFromTaskProperties(
  imageProperties: unknown,
  creator: Creator,
): Omit<NewImage, 'id'> {
  if (
    typeof imageProperties !== 'object' ||
    imageProperties === null ||
    Array.isArray(imageProperties)
  ) {
    unstorable('image_properties is not an object');
  }
  const given = { ...(imageProperties as Record<string, unknown>) };
  const base: Record<string, unknown> = {};
  for (const key of BASE_PROPERTIES) {
    if (key in given) {
      base[key] = given[key];
      delete given[key];
    }
  }
  const others = Object.keys(base).filter((key) => !NEW_IMAGE_KEYWORDS.includes(key));
  const refusal = newImageRefusal(others, Object.keys(given));
  if (refusal) throw new TaskFailure(refusal.message);

  const owner = 'owner' in base ? base.owner : creator.projectId;
  if (!creator.isAdmin && owner !== creator.projectId) {
    throw new TaskFailure(
      `You are not permitted to create images owned by '${owner === null ? 'None' : String(owner)}'.`,
    );
  }
  const image: Omit<NewImage, 'id'> = { owner: null, properties: {} };
  if (!(owner === null || isString(owner, 255))) unstorable('owner');
  image.owner = owner as string | null;
  if ('name' in base) {
    if (!(base.name === null || isString(base.name, 255))) unstorable('name');
    image.name = base.name as string | null;
  }
  for (const key of ['disk_format', 'container_format'] as const) {
    if (key in base) {
      if (!(base[key] === null || isString(base[key], 30))) unstorable(key);
      image[key] = base[key] as string | null;
    }
  }
  if ('visibility' in base) {
    if (!VISIBILITIES.includes(base.visibility as string)) unstorable('visibility');
    image.visibility = base.visibility as string;
  }
  for (const key of ['protected', 'os_hidden'] as const) {
    if (key in base) {
      if (typeof base[key] !== 'boolean') unstorable(key);
      image[key] = base[key] as boolean;
    }
  }
  for (const key of ['min_disk', 'min_ram'] as const) {
    if (key in base) {
      if (!isCount(base[key])) unstorable(key);
      image[key] = base[key] as number;
    }
  }
  if ('tags' in base) {
    const tags = base.tags;
    if (!Array.isArray(tags) || !tags.every((tag) => isString(tag, 255))) unstorable('tags');
    // Glance keeps tags as a set.
    image.tags = [...new Set(tags as string[])];
  }
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (key.length > 255) unstorable(`property ${key}`);
    // Glance's properties table holds text: numbers and booleans as the database casts them.
    if (typeof value === 'string') properties[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean')
      properties[key] = String(value);
    else unstorable(`property ${key}`);
  }
  image.properties = properties;
  return image;
}
