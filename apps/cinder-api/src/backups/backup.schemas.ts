import {
  DescriptionOrNull,
  Metadata,
  NameOrNull,
  NullableString,
  Strict,
  Type,
  Uuid,
  UuidOrNull,
} from '../common/schema';
import type { ApiVersion } from '../common/microversion';
import { RequestSchema } from '../common/validation';

/** Cinder's cinder/api/schemas/backups.py, per microversion. */
function createBackup(options: { metadata: boolean; availabilityZone: boolean }) {
  return new RequestSchema(
    Strict({
      backup: Strict({
        volume_id: Uuid,
        container: Type.Optional(NullableString({ maxLength: 255 })),
        name: Type.Optional(NameOrNull),
        description: Type.Optional(DescriptionOrNull),
        incremental: Type.Optional(Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })),
        force: Type.Optional(Type.Unsafe<boolean | null>({ type: ['boolean', 'null'] })),
        snapshot_id: Type.Optional(UuidOrNull),
        ...(options.metadata ? { metadata: Type.Optional(Metadata({ nullable: true })) } : {}),
        ...(options.availabilityZone
          ? { availability_zone: Type.Optional(NullableString({ maxLength: 255 })) }
          : {}),
      }),
    }),
  );
}

const CREATE = createBackup({ metadata: false, availabilityZone: false });
const CREATE_V343 = createBackup({ metadata: true, availabilityZone: false });
const CREATE_V351 = createBackup({ metadata: true, availabilityZone: true });

/** The create schema for the request's microversion (metadata 3.43, availability_zone 3.51). */
export function createBackupSchema(version: ApiVersion) {
  if (version.atLeast('3.51')) return CREATE_V351;
  return version.atLeast('3.43') ? CREATE_V343 : CREATE;
}

function updateBackup(metadata: boolean) {
  return new RequestSchema(
    Strict({
      backup: Type.Unsafe<{
        name?: string | null;
        description?: string | null;
        metadata?: Record<string, string>;
      } | null>({
        type: ['object', 'null'],
        properties: {
          name: NameOrNull,
          description: DescriptionOrNull,
          ...(metadata ? { metadata: Metadata() } : {}),
        },
        additionalProperties: false,
      }),
    }),
  );
}

const UPDATE = updateBackup(false);
const UPDATE_V343 = updateBackup(true);

/** `PUT /backups/{id}` (3.9; metadata from 3.43). */
export function updateBackupSchema(version: ApiVersion) {
  return version.atLeast('3.43') ? UPDATE_V343 : UPDATE;
}

export const restoreSchema = new RequestSchema(
  Strict({
    restore: Type.Unsafe<{ volume_id?: string | null; name?: string | null } | null>({
      type: ['object', 'null'],
      properties: { volume_id: UuidOrNull, name: NameOrNull },
      additionalProperties: false,
    }),
  }),
);

/** cinder/api/schemas/backups.py import_record (backup_url's base64 is checked on decoding). */
export const importRecordSchema = new RequestSchema(
  Strict({
    'backup-record': Strict({
      backup_service: Type.String({ maxLength: 255 }),
      backup_url: Type.String({ minLength: 1 }),
    }),
  }),
);

/** cinder/api/schemas/admin_actions.py reset_status_backup (the status is checked after). */
export const resetStatusSchema = new RequestSchema(
  Strict({ 'os-reset_status': Strict({ status: Type.String() }) }),
);
