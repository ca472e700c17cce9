import { CinderHttpError } from './cinder-errors';

/** A negotiated `volume 3.x` microversion. */
export class ApiVersion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(text: string): ApiVersion {
    const match = /^([1-9]\d*)\.(0|[1-9]\d*)$/.exec(text.trim());
    if (!match) {
      throw new CinderHttpError(
        400,
        `API Version String ${text.trim()} is of invalid format. Must be of format MajorNum.MinorNum.`,
      );
    }
    return new ApiVersion(Number(match[1]), Number(match[2]));
  }

  /** True when this version is `other` or later, e.g. `v.atLeast('3.27')`. */
  atLeast(other: string): boolean {
    const o = ApiVersion.parse(other);
    return this.major > o.major || (this.major === o.major && this.minor >= o.minor);
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export const MIN_VERSION = ApiVersion.parse('3.0');
export const MAX_VERSION = ApiVersion.parse('3.71');
export const VERSION_UPDATED = '2023-08-31T00:00:00Z';

export const VERSION_HEADER = 'OpenStack-API-Version';

/**
 * Picks the version a request asked for (`OpenStack-API-Version: volume 3.x`, several services
 * may be listed, `latest` is the maximum); no header means the minimum. Outside the range is a
 * 406, as in Cinder.
 */
export function negotiate(header: string | undefined): ApiVersion {
  if (!header) {
    return MIN_VERSION;
  }
  const entry = header
    .split(',')
    .map((part) => part.trim().split(/\s+/))
    .find(([service]) => service.toLowerCase() === 'volume');
  if (!entry || entry.length < 2) {
    return MIN_VERSION;
  }
  if (entry[1].toLowerCase() === 'latest') {
    return MAX_VERSION;
  }
  const version = ApiVersion.parse(entry[1]);
  if (
    version.major !== MIN_VERSION.major ||
    !version.atLeast(MIN_VERSION.toString()) ||
    !MAX_VERSION.atLeast(version.toString())
  ) {
    throw new CinderHttpError(
      406,
      `Version ${version.toString()} is not supported by the API. Minimum is ${MIN_VERSION.toString()} and maximum is ${MAX_VERSION.toString()}.`,
    );
  }
  return version;
}
