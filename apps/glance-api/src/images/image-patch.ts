import type { RequestContext } from '@cinderflow/request-context';
import { badRequest, forbidden, unsupportedMediaType, withDetail } from '../common/glance-errors';
import type { ImageSchema } from '../schemas/image-schema';
import { authorizeOnImage } from '../common/policy';
import { enforceModify, enforceVisibility } from './image-policy';
import { checkMinimum, checkTagQuota, RESERVED_NAMESPACE } from './image-rules';

/** The JSON-patch media types of `PATCH /v2/images/{id}` and their JSON Schema draft. */
export const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};

export type PatchOp = 'add' | 'remove' | 'replace';

/** One operation, as RequestDeserializer.update hands it to the controller. */
export interface ImageChange {
  op: PatchOp;
  /** The decoded JSON pointer: `['name']`, `['locations', '0']`. */
  path: string[];
  value?: unknown;
  draft: 4 | 10;
}

const OPERATIONS: readonly PatchOp[] = ['add', 'remove', 'replace'];
/** RequestDeserializer._readonly_properties. */
const READ_ONLY = [
  'created_at',
  'updated_at',
  'status',
  'checksum',
  'size',
  'virtual_size',
  'direct_url',
  'self',
  'file',
  'schema',
  'id',
  'os_hash_algo',
  'os_hash_value',
];
/**
 * Names of the domain image's internals (its id and property map, its methods): Glance would
 * set or call them; they are read-only here.
 */
const INTERNAL = [
  'image_id',
  'extra_properties',
  'member',
  'delete',
  'deactivate',
  'reactivate',
  'set_data',
  'get_data',
];
const RESERVED = ['location', 'deleted', 'deleted_at'];
/** Depth of a valid pointer per root and operation (RequestDeserializer._path_depth_limits). */
const PATH_DEPTH: Record<string, Partial<Record<PatchOp, number>>> = {
  locations: { add: 2, remove: 2, replace: 1 },
};

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): [PatchOp, unknown] {
  const available = OPERATIONS.join(', ');
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined || op === null) {
      throw badRequest(
        `Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`,
      );
    }
    if (!OPERATIONS.includes(op as PatchOp)) {
      throw badRequest(
        `Invalid operation: \`${String(op)}\`. It must be one of the following: ${available}.`,
      );
    }
    if (!Object.hasOwn(raw, 'path'))
      throw badRequest("Unable to find 'path' in JSON Schema change");
    return [op as PatchOp, raw.path];
  }
  const present = OPERATIONS.filter((op) => Object.hasOwn(raw, op));
  if (present.length > 1) {
    throw badRequest(
      'Operation objects must contain only one member named "add", "remove", or "replace".',
    );
  }
  if (present.length === 0) {
    throw badRequest(
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    );
  }
  return [present[0], raw[present[0]]];
}

/** _validate_json_pointer then _decode_json_pointer. */
export function decodePointer(pointer: string): string[] {
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

/** _validate_change: read-only and reserved names, then the value against the schema. */
function validateChange(change: ImageChange, schema: ImageSchema): void {
  const root = change.path[0];
  if (READ_ONLY.includes(root) || INTERNAL.includes(root)) {
    throw forbidden(`Attribute '${root}' is read-only.`);
  }
  if (RESERVED.includes(root) || root.startsWith(RESERVED_NAMESPACE)) {
    throw forbidden(`Attribute '${root}' is reserved.`);
  }
  if (change.op === 'remove') return;
  if (change.path.length === 1) {
    schema.validate({ [root]: change.value });
  } else if (Object.hasOwn(schema.properties, root) && schema.properties[root].type === 'array') {
    // `/locations/N`: one element of the list.
    schema.validate({ [root]: [change.value] });
  }
}

/**
 * RequestDeserializer.update: the media type (415), then each operation in order (400 for a
 * malformed one, 403 for a read-only or reserved attribute, 400 for a value the schema refuses).
 */
export function parsePatch(
  contentType: string | undefined,
  body: unknown,
  schema: ImageSchema,
): ImageChange[] {
  const mediaType = (contentType ?? '').split(';', 1)[0].trim();
  const draft = Object.hasOwn(PATCH_MEDIA_TYPES, mediaType)
    ? PATCH_MEDIA_TYPES[mediaType]
    : undefined;
  if (draft === undefined) {
    const allowed = Object.keys(PATCH_MEDIA_TYPES).sort().join(', ');
    throw unsupportedMediaType(
      contentType ?? '',
      `Image PATCH expects Content-Type one of: ${allowed}`,
      { 'Accept-Patch': allowed },
    );
  }
  if (body === undefined) throw badRequest('Body expected in request.');
  if (!Array.isArray(body)) {
    throw badRequest('Request body must be a JSON array of operation objects.');
  }
  return body.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw badRequest('Operations must be JSON objects.');
    }
    const fields = raw as Record<string, unknown>;
    const [op, pointer] = operationOf(fields, draft);
    const path = decodePointer(typeof pointer === 'string' ? pointer : String(pointer));
    const depth = (Object.hasOwn(PATH_DEPTH, path[0]) ? PATH_DEPTH[path[0]][op] : 1) ?? 1;
    if (path.length !== depth) {
      throw badRequest(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    }
    const change: ImageChange = { op, path, draft };
    if (op !== 'remove') {
      if (!Object.hasOwn(fields, 'value'))
        throw badRequest(`Operation "${op}" requires a member named "value".`);
      change.value = fields.value;
    }
    validateChange(change, schema);
    return change;
  });
}

/** The image as the domain changes it: its attributes, custom properties and tags. */
export interface PatchableImage {
  id: string;
  status: string;
  owner: string | null;
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

/** What the locations handler works with: the same transaction as the rest of the PATCH. */
export interface LocationsChangeContext {
  caller: RequestContext;
  /** The image being changed (locked in this transaction); its `status` follows the change. */
  image: PatchableImage;
  change: ImageChange;
  /** Applies a `/locations` change in this transaction (LocationsService, seed 002). */
  applyLocations: (change: ImageChange) => Promise<{ status: string }>;
}

/**
 * `/locations` operations, the policies already checked: an added location is `active` and
 * moves a `queued` image to `active` (never through `saving`), a removed one `deleted` or
 * `pending_delete` (seed 002).
 */
export async function applyLocationsChange(context: LocationsChangeContext): Promise<void> {
  const { status } = await context.applyLocations(context.change);
  // The in-memory image follows what the database now holds (a later change may look at it).
  Object.assign(context.image, { status });
}

/** Attributes of the domain image a change may set (hasattr(image, name) in Glance). */
const ATTRIBUTES = [
  'name',
  'visibility',
  'protected',
  'os_hidden',
  'min_disk',
  'min_ram',
  'owner',
  'disk_format',
  'container_format',
  'tags',
] as const;
type Attribute = (typeof ATTRIBUTES)[number];

const isAttribute = (name: string): name is Attribute =>
  (ATTRIBUTES as readonly string[]).includes(name);

export interface PatchOptions {
  tagQuota: number;
}

/** The domain Image's setters (and the quota proxy's for tags). */
function setAttribute(
  image: PatchableImage,
  name: Attribute,
  value: unknown,
  options: PatchOptions,
): void {
  switch (name) {
    case 'disk_format':
    case 'container_format':
      if (image.status !== 'queued') {
        throw forbidden(`Attribute ${name} can be only replaced for a queued image.`);
      }
      image[name] = value as string | null;
      break;
    case 'min_disk':
    case 'min_ram':
      checkMinimum(name, value as number);
      image[name] = value as number;
      break;
    case 'tags':
      checkTagQuota((value as string[]).length, options.tagQuota);
      image.tags = [...new Set(value as string[])];
      break;
    case 'name':
    case 'owner':
      image[name] = value as string | null;
      break;
    case 'visibility':
      image.visibility = value as string;
      break;
    case 'protected':
    case 'os_hidden':
      image[name] = value as boolean;
      break;
  }
}

/** api_policy.update_property: the visibility's own policy first, then modify_image. */
function enforceUpdateProperty(
  caller: RequestContext,
  image: PatchableImage,
  name: string,
  value?: unknown,
): void {
  if (name === 'visibility') enforceVisibility(caller, value, image);
  enforceModify(caller, image);
}

/**
 * ImagesController.update's _do_add / _do_replace / _do_remove on the image, in order; a
 * refusal leaves the image as it was (nothing is saved). `/locations` goes to
 * applyLocationsChange.
 */
export async function applyChanges(
  caller: RequestContext,
  image: PatchableImage,
  changes: ImageChange[],
  options: PatchOptions & Omit<LocationsChangeContext, 'caller' | 'image' | 'change'>,
): Promise<void> {
  for (const change of changes) {
    const root = change.path[0];
    if (root === 'locations') {
      if (change.op === 'replace' && isEmpty(change.value)) {
        throw withDetail(403, 'Cannot set locations to empty list.');
      }
      // ImageAPIPolicy.update_locations / delete_locations.
      authorizeOnImage(
        caller,
        change.op === 'remove' ? 'delete_image_location' : 'set_image_location',
        image,
      );
      await applyLocationsChange({ ...options, caller, image, change });
      continue;
    }
    if (change.op === 'replace') {
      if (root === 'owner' && !caller.isAdmin) {
        throw withDetail(403, "Owner can't be updated by non admin.");
      }
      enforceUpdateProperty(caller, image, root, change.value);
      if (isAttribute(root)) setAttribute(image, root, change.value, options);
      else if (Object.hasOwn(image.properties, root)) {
        image.properties[root] = change.value as string | null;
      } else throw withDetail(409, `Property ${root} does not exist.`);
    } else if (change.op === 'add') {
      enforceUpdateProperty(caller, image, root, change.value);
      if (change.draft === 4 && (isAttribute(root) || Object.hasOwn(image.properties, root))) {
        throw withDetail(409, `Property ${root} already present.`);
      }
      if (isAttribute(root)) setAttribute(image, root, change.value, options);
      else image.properties[root] = change.value as string | null;
    } else {
      enforceUpdateProperty(caller, image, root);
      if (isAttribute(root)) throw withDetail(403, `Property ${root} may not be removed.`);
      if (!Object.hasOwn(image.properties, root))
        throw withDetail(409, `Property ${root} does not exist.`);
      delete image.properties[root];
    }
  }
}

function isEmpty(value: unknown): boolean {
  return (
    value === null ||
    value === undefined ||
    value === false ||
    value === 0 ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && Object.keys(value as object).length === 0)
  );
}
