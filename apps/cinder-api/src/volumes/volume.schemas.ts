import { UUID_PATTERN } from '../common/validation';

const nullableName = { type: ['string', 'null'], maxLength: 255 };
const nullableDescription = { type: ['string', 'null'], maxLength: 255 };
const nullableUuid = { type: ['string', 'null'], pattern: UUID_PATTERN };

const metadata = {
  type: ['object', 'null'],
  patternProperties: { '^[a-zA-Z0-9-_:. /]{1,255}$': { type: 'string', maxLength: 255 } },
  additionalProperties: false,
};

/** What both create and update accept: the names (and their old display_* spellings). */
const describing = {
  name: nullableName,
  description: nullableDescription,
  display_name: nullableName,
  display_description: nullableDescription,
  metadata,
};

/** Cinder's cinder/api/schemas/volumes.py `create`; from 3.53 unknown keys are refused. */
export function createVolumeSchema(maxSizeGb: number, strict: boolean): object {
  return {
    type: 'object',
    properties: {
      volume: {
        type: 'object',
        properties: {
          ...describing,
          // An integer, or a string of digits (Cinder accepts both); checked further below.
          size: {
            type: ['integer', 'string', 'null'],
            pattern: '^[0-9]+$',
            minimum: 1,
            maximum: maxSizeGb,
          },
          availability_zone: { type: ['string', 'null'], minLength: 1, maxLength: 255 },
          volume_type: { type: ['string', 'null'], maxLength: 255 },
          snapshot_id: nullableUuid,
          source_volid: nullableUuid,
          backup_id: nullableUuid,
          imageRef: { type: ['string', 'null'], maxLength: 255 },
          image_id: { type: ['string', 'null'], maxLength: 255 },
          consistencygroup_id: nullableUuid,
          group_id: { type: ['string', 'null'], maxLength: 255 },
          multiattach: { type: 'boolean' },
        },
        additionalProperties: !strict,
      },
      'OS-SCH-HNT:scheduler_hints': { type: ['object', 'null'] },
    },
    required: ['volume'],
    additionalProperties: !strict,
  };
}

/** `PUT /volumes/{id}`. */
export const updateVolumeSchema = {
  type: 'object',
  properties: {
    volume: {
      type: 'object',
      properties: describing,
      additionalProperties: false,
    },
  },
  required: ['volume'],
  additionalProperties: false,
};

export interface CreateVolumeBody {
  volume: {
    name?: string | null;
    description?: string | null;
    display_name?: string | null;
    display_description?: string | null;
    size?: number | string | null;
    availability_zone?: string | null;
    volume_type?: string | null;
    metadata?: Record<string, string> | null;
    snapshot_id?: string | null;
    source_volid?: string | null;
    backup_id?: string | null;
    imageRef?: string | null;
    image_id?: string | null;
    consistencygroup_id?: string | null;
    group_id?: string | null;
    multiattach?: boolean;
  };
}

export interface UpdateVolumeBody {
  volume: {
    name?: string | null;
    description?: string | null;
    display_name?: string | null;
    display_description?: string | null;
    metadata?: Record<string, string> | null;
  };
}
