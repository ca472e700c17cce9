import { invalidInput } from '../common/cinder-errors';
import {
  BooleanLike,
  DescriptionOrNull,
  Metadata,
  NameOrNull,
  type Static,
  Strict,
  Type,
  UUID_PATTERN,
} from '../common/schema';

/** Cinder's uuid_allow_null: `oneOf` a uuid or null (null then names no volume: a 404). */
const VolumeIdOrNull = Type.Unsafe<string | null>({
  type: ['string', 'null'],
  pattern: UUID_PATTERN,
});

/** cinder/api/schemas/snapshots.py `create`. */
export const createSnapshotSchema = Strict({
  snapshot: Strict({
    name: Type.Optional(NameOrNull),
    display_name: Type.Optional(NameOrNull),
    description: Type.Optional(DescriptionOrNull),
    volume_id: VolumeIdOrNull,
    force: Type.Optional(BooleanLike),
    metadata: Type.Optional(Metadata({ nullable: true })),
  }),
});
export type CreateSnapshotBody = Static<typeof createSnapshotSchema>;

/** cinder/api/schemas/snapshots.py `update` (at least one of the four: checked by the route). */
export const updateSnapshotSchema = Strict({
  snapshot: Strict({
    name: Type.Optional(NameOrNull),
    description: Type.Optional(DescriptionOrNull),
    display_name: Type.Optional(NameOrNull),
    display_description: Type.Optional(DescriptionOrNull),
  }),
});
export type UpdateSnapshotBody = Static<typeof updateSnapshotSchema>;

/** cinder/api/schemas/snapshot_metadata.py: keys without `/`, unlike volumes'. */
const SnapshotMetadata = (options: { single?: boolean } = {}) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255 } },
    additionalProperties: false,
    ...(options.single ? { minProperties: 1, maxProperties: 1 } : {}),
  });

/** `create` and `update_all`: other top-level keys are let through, as Cinder's are. */
export const metadataBodySchema = Type.Object({ metadata: SnapshotMetadata() });
/** `update` of one key. */
export const metaItemBodySchema = Type.Object({ meta: SnapshotMetadata({ single: true }) });

/** admin_actions reset_status_snapshot; the status is checked against Cinder's list after. */
export const resetStatusSchema = Strict({ status: Type.String() });

/** snapshot_actions update_snapshot_status; `progress` is checked as Cinder's format after. */
export const updateStatusSchema = Strict({
  status: Type.String(),
  progress: Type.Optional(Type.Unknown()),
});

/** Every status Cinder knows (fields.SnapshotStatus.ALL), in its order, for its messages. */
export const CINDER_SNAPSHOT_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const;

/** Cinder's `progress` format check (cinder/api/validation/validators.py). */
export function checkProgress(progress: unknown): string | undefined {
  if (progress === undefined || progress === null || progress === '') return undefined;
  if (typeof progress !== 'string') {
    throw invalidInput('progress must be an integer percentage');
  }
  const number = progress.slice(0, -1).trim();
  if (!/^[+-]?\d+$/.test(number)) throw invalidInput('progress must be an integer percentage');
  const value = Number(number);
  if (value < 0 || value > 100 || !progress.endsWith('%')) {
    throw invalidInput('progress must be an integer percentage between 0 and 100');
  }
  return progress;
}
