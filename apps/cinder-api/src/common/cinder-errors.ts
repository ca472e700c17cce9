/**
 * Errors the API answers with, in Cinder's fault format:
 * `{"<faultName>": {"code": <status>, "message": "..."}}` (cinder/api/openstack/wsgi.py Fault).
 */
const FAULT_NAMES: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? 'computeFault';
}

export function faultBody(
  status: number,
  message: string,
): Record<string, { code: number; message: string }> {
  return { [faultName(status)]: { code: status, message } };
}

export class CinderHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'CinderHttpError';
  }
}

/** Cinder's InvalidInput. */
export const invalidInput = (reason: string) =>
  new CinderHttpError(400, `Invalid input received: ${reason}`);
/** Cinder's InvalidVolume. */
export const invalidVolume = (reason: string) =>
  new CinderHttpError(400, `Invalid volume: ${reason}`);
/** Cinder's InvalidBackup. */
export const invalidBackup = (reason: string) =>
  new CinderHttpError(400, `Invalid backup: ${reason}`);
/** Cinder's InvalidSnapshot. */
export const invalidSnapshot = (reason: string) =>
  new CinderHttpError(400, `Invalid snapshot: ${reason}`);
export const badRequest = (message: string) => new CinderHttpError(400, message);
export const notFound = (message: string) => new CinderHttpError(404, message);
export const forbidden = (message: string) => new CinderHttpError(403, message);

/** Cinder's NotFound messages (cinder/exception.py), by resource. */
export const NOT_FOUND = {
  volume: (id: string) => `Volume ${id} could not be found.`,
  attachment: (id: string) =>
    `Volume attachment could not be found with filter: attachment_id = ${id}.`,
  backup: (id: string) => `Backup ${id} could not be found.`,
  volumeType: (id: string) => `Volume type ${id} could not be found.`,
  message: (id: string) => `Message ${id} could not be found.`,
  snapshot: (id: string) => `Snapshot ${id} could not be found.`,
  transfer: (id: string) => `Transfer ${id} could not be found.`,
  snapshotMetadata: (id: string, key: string) => `Snapshot ${id} has no metadata with key ${key}.`,
} as const;
