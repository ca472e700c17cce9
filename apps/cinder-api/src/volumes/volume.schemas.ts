import {
  DescriptionOrNull,
  Metadata,
  NameOrNull,
  NullableString,
  type Static,
  Type,
  UuidOrNull,
} from '../common/schema';

/** What both create and update accept: the names (and their old display_* spellings). */
const describing = {
  name: Type.Optional(NameOrNull),
  description: Type.Optional(DescriptionOrNull),
  display_name: Type.Optional(NameOrNull),
  display_description: Type.Optional(DescriptionOrNull),
  metadata: Type.Optional(Metadata({ nullable: true })),
};

/** Cinder's cinder/api/schemas/volumes.py `create`; from 3.53 unknown keys are refused. */
export function createVolumeSchema(maxSizeGb: number, strict: boolean) {
  return Type.Object(
    {
      volume: Type.Object(
        {
          ...describing,
          // An integer, or a string of digits (Cinder accepts both); checked further below.
          size: Type.Optional(
            Type.Unsafe<number | string | null>({
              type: ['integer', 'string', 'null'],
              pattern: '^[0-9]+$',
              minimum: 1,
              maximum: maxSizeGb,
            }),
          ),
          availability_zone: Type.Optional(NullableString({ minLength: 1, maxLength: 255 })),
          volume_type: Type.Optional(NullableString({ maxLength: 255 })),
          snapshot_id: Type.Optional(UuidOrNull),
          source_volid: Type.Optional(UuidOrNull),
          backup_id: Type.Optional(UuidOrNull),
          imageRef: Type.Optional(NullableString({ maxLength: 255 })),
          image_id: Type.Optional(NullableString({ maxLength: 255 })),
          consistencygroup_id: Type.Optional(UuidOrNull),
          group_id: Type.Optional(NullableString({ maxLength: 255 })),
          multiattach: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: !strict },
      ),
      'OS-SCH-HNT:scheduler_hints': Type.Optional(
        Type.Unsafe<Record<string, unknown> | null>({ type: ['object', 'null'] }),
      ),
    },
    { additionalProperties: !strict },
  );
}

export type CreateVolumeBody = Static<ReturnType<typeof createVolumeSchema>>;

/** `PUT /volumes/{id}`. */
export const updateVolumeSchema = Type.Object(
  { volume: Type.Object(describing, { additionalProperties: false }) },
  { additionalProperties: false },
);

export type UpdateVolumeBody = Static<typeof updateVolumeSchema>;
