import { badRequest } from './glance-errors';

/**
 * The query string of a list request as Glance's controllers read it (webob's MultiDict) and
 * write it back into their `first` and `next` links (Python's urlencode).
 */
export class QueryParams {
  readonly pairs: Array<[string, string]>;

  constructor(query: string) {
    this.pairs = [...new URLSearchParams(query).entries()];
  }

  /** The query of a request URL. */
  static ofUrl(url: string): QueryParams {
    return new QueryParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  }

  has(key: string): boolean {
    return this.pairs.some(([k]) => k === key);
  }

  /** MultiDict.pop: the first value, removed. */
  pop(key: string): string | undefined {
    const index = this.pairs.findIndex(([k]) => k === key);
    if (index < 0) return undefined;
    return this.pairs.splice(index, 1)[0][1];
  }

  /** What a dict made of it holds: the last value of each key, keys in first-seen order. */
  lastValues(): Map<string, string> {
    const values = new Map<string, string>();
    for (const [key, value] of this.pairs) values.set(key, value);
    return values;
  }
}

/** Python's urllib.parse.quote_plus: only letters, digits and `_.-~` stay, a space is `+`. */
export function quotePlus(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      if (/[A-Za-z0-9_.~-]/.test(char)) return char;
      if (char === ' ') return '+';
      return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** Python's urllib.parse.urlencode of pairs. */
export function urlencode(pairs: Iterable<[string, string]>): string {
  return [...pairs].map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`).join('&');
}

/** Python's int() of a query value (whitespace, a sign and digit underscores allowed). */
export function pyInt(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[+-]?\d+(_\d+)*$/.test(trimmed)) return undefined;
  return Number(trimmed.replace(/_/g, ''));
}

/** What the API limits a page to (Glance's limit_param_default and api_limit_max). */
export interface ListLimits {
  defaultLimit: number;
  maxLimit: number;
}

/** The `limit` parameter as Glance's deserializers check it, capped at api_limit_max. */
export function parseLimit(text: string | undefined, limits: ListLimits): number {
  let limit = limits.defaultLimit;
  if (text !== undefined) {
    const value = pyInt(text);
    if (value === undefined) throw badRequest('limit param must be an integer');
    if (value < 0) throw badRequest('limit param must be positive');
    limit = value;
  }
  return Math.min(limits.maxLimit, limit);
}
