import { type JsonSchema, object, string } from './common';

/**
 * GET / (300) and GET /v3/ (200): api-ref/source/v3/versions.inc, samples/versions,
 * cinder/api/versions.py and cinder/api/views/versions.py. Only v3 is served.
 */
export function versionsBody(): JsonSchema {
  const link = (rel: string, withType: boolean) =>
    object({
      href: { type: 'string', pattern: '^https?://' },
      rel: { const: rel },
      ...(withType ? { type: string } : {}),
    });
  return object({
    versions: {
      type: 'array',
      minItems: 1,
      items: object({
        id: { const: 'v3.0' },
        status: { const: 'CURRENT' },
        version: { type: 'string', pattern: '^3\\.\\d+$' },
        min_version: { type: 'string', pattern: '^3\\.\\d+$' },
        updated: { type: 'string', pattern: '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$' },
        links: {
          type: 'array',
          items: [link('describedby', true), link('self', false)],
          minItems: 2,
          additionalItems: false,
        },
        'media-types': {
          type: 'array',
          items: object({ base: { const: 'application/json' }, type: string }),
        },
      }),
    },
  });
}
