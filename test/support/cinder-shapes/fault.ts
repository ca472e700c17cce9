import { type JsonSchema, object, string } from './common';

/** cinder/api/openstack/wsgi.py Fault._fault_names (anything else is computeFault). */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

/** A fault body: `{"<name>": {"code": <status>, "message": "..."}}` and nothing else. */
export function faultBody(status: number): JsonSchema {
  return object({
    [FAULT_NAMES[status] ?? 'computeFault']: object({ code: { const: status }, message: string }),
  });
}
