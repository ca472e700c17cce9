/** Glance's _MEMBER_SCHEMA (glance/api/v2/image_members.py). */
const MEMBER_PROPERTIES = {
  member_id: {
    type: 'string',
    description: 'An identifier for the image member (tenantId)',
  },
  image_id: {
    type: 'string',
    description: 'An identifier for the image',
    pattern:
      '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
  },
  created_at: {
    type: 'string',
    description: 'Date and time of image member creation',
  },
  updated_at: {
    type: 'string',
    description: 'Date and time of last modification of image member',
  },
  status: {
    type: 'string',
    description: 'The status of this image member',
    enum: ['pending', 'accepted', 'rejected'],
  },
  schema: {
    readOnly: true,
    type: 'string',
  },
};

/** `GET /v2/schemas/member`: Schema('member').minimal(), no additionalProperties. */
export function memberSchema(): Record<string, unknown> {
  return { name: 'member', properties: structuredClone(MEMBER_PROPERTIES) };
}

/** `GET /v2/schemas/members`: CollectionSchema('members').minimal(). */
export function membersSchema(): Record<string, unknown> {
  return {
    name: 'members',
    properties: {
      members: { type: 'array', items: memberSchema() },
      schema: { type: 'string' },
    },
    links: [{ rel: 'describedby', href: '{schema}' }],
  };
}
