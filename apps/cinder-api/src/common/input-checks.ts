import { parse } from 'node:querystring';
import { badRequest, type CinderHttpError, invalidInput } from './cinder-errors';

/**
 * How deep a request body may nest. Cinder's bodies are at most a few levels deep (a connector
 * inside an attachment inside the body); anything far deeper is an attack or a bug, and deep
 * structures overflow the stack of recursive code (validators, JSON.stringify) further on.
 */
export const MAX_BODY_DEPTH = 32;

const NUL = /\u0000/;
/** A UTF-16 surrogate without its partner: not a Unicode string, and PostgreSQL mangles it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string can't be accepted (PostgreSQL refuses NUL, and rewrites lone surrogates). */
function stringProblem(text: string): string | undefined {
  if (NUL.test(text)) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode (it has an unpaired surrogate)';
  return undefined;
}

/**
 * A parsed JSON body's problems, walked without recursion (a body can nest as deep as its
 * 1 MB allows): too deep → Cinder's "Malformed request body"; a key or string with NUL or a
 * lone surrogate → InvalidInput naming where it is.
 */
export function checkBody(body: unknown): CinderHttpError | undefined {
  const stack: { node: unknown; path: string; depth: number }[] = [
    { node: body, path: '', depth: 1 },
  ];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { node, path, depth } = item;
    if (typeof node === 'string') {
      const problem = stringProblem(node);
      if (problem) return invalidInput(`${path || 'the body'} ${problem}.`);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) {
      return badRequest(`Malformed request body: it nests deeper than ${MAX_BODY_DEPTH} levels.`);
    }
    for (const [key, value] of Object.entries(node)) {
      const keyProblem = stringProblem(key);
      if (keyProblem) return invalidInput(`A key in ${path || 'the body'} ${keyProblem}.`);
      stack.push({ node: value, path: path ? `${path}.${key}` : key, depth: depth + 1 });
    }
  }
  return undefined;
}

/**
 * The URL's problems, before routing: a path that does not decode (bad percent-encoding, or
 * encoded bytes that are not UTF-8) and NUL characters in the path or the query.
 */
export function checkUrl(path: string, query: Record<string, string>): CinderHttpError | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return invalidInput('the URL path is not percent-encoded UTF-8.');
  }
  const problem = stringProblem(decoded);
  if (problem) return invalidInput(`the URL path ${problem}.`);
  for (const [key, value] of Object.entries(query)) {
    const keyProblem = stringProblem(key);
    if (keyProblem) return invalidInput(`a query parameter name ${keyProblem}.`);
    const valueProblem = stringProblem(value);
    if (valueProblem) return invalidInput(`the query parameter ${key} ${valueProblem}.`);
  }
  return undefined;
}

/**
 * The API's query parser: one string per key, the last when a key repeats (webob's
 * `req.params.get`, which Cinder reads), so that no handler ever meets an array. No
 * prototype, so that keys like `constructor` are only what the client sent.
 */
export function parseQuery(text: string): Record<string, string> {
  const query = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(parse(text))) {
    query[key] = Array.isArray(value) ? (value[value.length - 1] ?? '') : (value ?? '');
  }
  return query;
}
