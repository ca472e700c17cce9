import { IMAGE_READ_ONLY, NEW_IMAGE_KEYWORDS, newImageRefusal } from '@cinderflow/image-store';
import { badRequest, forbidden, withDetail } from '../common/glance-errors';
import type { ImageSchema } from '../schemas/image-schema';
import { checkMinimum, RESERVED_NAMESPACE } from './image-rules';

/** What `POST /v2/images` asks for, checked as Glance's deserializer and image factory do. */
export interface ImageCreateRequest {
  id?: string;
  /** Present when the body names an owner (null or '' for none); the caller's project if not. */
  owner?: string | null;
  name: string | null;
  visibility: string;
  protected: boolean;
  os_hidden: boolean;
  min_disk: number;
  min_ram: number;
  disk_format: string | null;
  container_format: string | null;
  tags: string[];
  properties: Record<string, string | null>;
}

/** RequestDeserializer._disallowed_properties: in a body, read-only (403). */
const DISALLOWED = ['direct_url', 'self', 'file', 'schema', 'stores'];
/** RequestDeserializer._reserved_properties. */
const RESERVED = ['location', 'deleted', 'deleted_at'];
/** RequestDeserializer._base_properties: the image's own attributes, in Glance's order. */
const BASE = [
  'checksum',
  'created_at',
  'container_format',
  'disk_format',
  'id',
  'min_disk',
  'min_ram',
  'name',
  'size',
  'virtual_size',
  'status',
  'tags',
  'owner',
  'updated_at',
  'visibility',
  'protected',
  'os_hidden',
];
/** The body split as RequestDeserializer.create splits it. */
export interface CreateBody {
  /** Base attributes given (`id`, `name`, `owner`, ... and read-only ones, refused later). */
  image: Record<string, unknown>;
  tags: string[];
  properties: Record<string, string | null>;
}

/**
 * RequestDeserializer.create: read-only attributes, the schema, then the custom property
 * names, in Glance's order (before any policy or quota).
 */
export function parseCreateBody(body: unknown, schema: ImageSchema): CreateBody {
  if (body === undefined || body === null) throw badRequest('Body expected in request.');
  // Glance fails on a JSON list with a 500; a list is no image.
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('Unexpected body type. Expected dict.');
  }
  const fields = { ...(body as Record<string, unknown>) };
  for (const key of DISALLOWED) {
    if (Object.hasOwn(fields, key)) throw forbidden(`Attribute '${key}' is read-only.`);
  }
  schema.validate(fields);
  const tags = (fields.tags as string[] | undefined) ?? [];
  delete fields.tags;
  const image: Record<string, unknown> = {};
  for (const key of BASE) {
    if (Object.hasOwn(fields, key)) {
      image[key] = fields[key];
      delete fields[key];
    }
  }
  const properties = fields as Record<string, string | null>;
  for (const key of Object.keys(properties)) {
    if ([...key].length > 255) {
      throw badRequest('Custom property should not be greater than 255 characters.');
    }
    if (RESERVED.includes(key) || key.startsWith(RESERVED_NAMESPACE)) {
      throw withDetail(403, `Attribute '${key}' is reserved.`);
    }
  }
  return { image, tags, properties };
}

/** ImageFactory.new_image and the domain Image's setters: what the new image will be. */
export function newImage({ image, tags, properties }: CreateBody): ImageCreateRequest {
  // Glance's deserializer leaves os_hash_algo/os_hash_value among the custom properties (they
  // would be stored as such and hidden by the attribute); they are refused as read-only here,
  // as the factory's list says. The body's base attributes beyond new_image's keywords are all
  // read-only ones, so none is ever "unexpected".
  const otherArgs = [
    ...Object.keys(image).filter((key) => key !== 'id' && !NEW_IMAGE_KEYWORDS.includes(key)),
    ...Object.keys(properties).filter((key) => IMAGE_READ_ONLY.includes(key)),
  ];
  const refusal = newImageRefusal(otherArgs, Object.keys(properties));
  if (refusal) throw forbidden(refusal.message);
  const minDisk = (image.min_disk as number | undefined) ?? 0;
  const minRam = (image.min_ram as number | undefined) ?? 0;
  checkMinimum('min_disk', minDisk);
  checkMinimum('min_ram', minRam);
  const request: ImageCreateRequest = {
    name: (image.name as string | null | undefined) ?? null,
    visibility: (image.visibility as string | undefined) ?? 'shared',
    protected: (image.protected as boolean | undefined) ?? false,
    os_hidden: (image.os_hidden as boolean | undefined) ?? false,
    min_disk: minDisk,
    min_ram: minRam,
    disk_format: (image.disk_format as string | null | undefined) ?? null,
    container_format: (image.container_format as string | null | undefined) ?? null,
    // The domain keeps a set; the database keeps the first of equal tags in order.
    tags: [...new Set(tags)],
    properties,
  };
  if (Object.hasOwn(image, 'id')) request.id = image.id as string;
  if (Object.hasOwn(image, 'owner')) request.owner = image.owner as string | null;
  return request;
}
