/**
 * oslo.policy's check language (oslo_policy/_parser.py and _checks.py): `@`, `!`, `rule:x`,
 * `role:x` and generic `kind:match` checks, joined by `and`, `or`, `not` and parentheses.
 * `not` binds tighter than `and`, `and` tighter than `or`; keywords are case-insensitive.
 */
export type Check =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'role'; readonly match: string }
  | { readonly kind: 'generic'; readonly key: string; readonly match: string }
  | { readonly kind: 'not'; readonly check: Check }
  | { readonly kind: 'and' | 'or'; readonly checks: readonly Check[] };

/** What the caller is: oslo.context's to_policy_values plus Cinder's `is_admin`. */
export type Credentials = Readonly<Record<string, unknown>>;

/** What the action is on, e.g. `{project_id: <the volume's project>, user_id: ...}`. */
export type Target = Readonly<Record<string, unknown>>;

export class PolicyParseError extends Error {}

type Token =
  | { readonly type: '(' | ')' | 'and' | 'or' | 'not' }
  | { readonly type: 'check'; readonly check: Check };

function parseCheck(text: string): Check {
  if (text === '@') return { kind: 'true' };
  if (text === '!') return { kind: 'false' };
  const colon = text.indexOf(':');
  if (colon <= 0) throw new PolicyParseError(`'${text}' is not a check (kind:match, @ or !)`);
  const key = text.slice(0, colon);
  const match = text.slice(colon + 1);
  if (key === 'rule') return { kind: 'rule', name: match };
  if (key === 'role') return { kind: 'role', match };
  return { kind: 'generic', key, match };
}

/** oslo's _parse_tokenize: whitespace-separated, parentheses peeled off either end. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const opened = word.length - word.replace(/^\(+/, '').length;
    for (let i = 0; i < opened; i++) tokens.push({ type: '(' });
    const inner = word.slice(opened);
    const core = inner.replace(/\)+$/, '');
    const closed = inner.length - core.length;
    const lowered = core.toLowerCase();
    if (lowered === 'and' || lowered === 'or' || lowered === 'not') {
      tokens.push({ type: lowered });
    } else if (core) {
      tokens.push({ type: 'check', check: parseCheck(core) });
    }
    for (let i = 0; i < closed; i++) tokens.push({ type: ')' });
  }
  return tokens;
}

/** Parses a check string; an empty one allows everything, as in oslo.policy. */
export function parseCheckString(text: string): Check {
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'true' };
  let at = 0;
  const peek = () => tokens[at]?.type;
  const fail = (what: string): never => {
    throw new PolicyParseError(`${what} in '${text}'`);
  };

  const orExpr = (): Check => {
    const checks = [andExpr()];
    while (peek() === 'or') {
      at++;
      checks.push(andExpr());
    }
    return checks.length === 1 ? checks[0] : { kind: 'or', checks };
  };
  const andExpr = (): Check => {
    const checks = [notExpr()];
    while (peek() === 'and') {
      at++;
      checks.push(notExpr());
    }
    return checks.length === 1 ? checks[0] : { kind: 'and', checks };
  };
  const notExpr = (): Check => {
    if (peek() === 'not') {
      at++;
      return { kind: 'not', check: notExpr() };
    }
    const token = tokens[at++];
    if (token === undefined) return fail('unexpected end');
    if (token.type === 'check') return token.check;
    if (token.type === '(') {
      const inner = orExpr();
      if (peek() !== ')') fail('missing )');
      at++;
      return inner;
    }
    return fail(`unexpected '${token.type}'`);
  };

  const check = orExpr();
  if (at < tokens.length) fail(`unexpected '${tokens[at].type}'`);
  return check;
}

/** Python's str() of a value, which is what oslo compares. */
function pyStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return String(value);
}

/** `match % target`: undefined when the target lacks a key (oslo's KeyError, a failed check). */
function interpolate(match: string, target: Target): string | undefined {
  let missing = false;
  const text = match.replace(/%(?:\((\w+)\)s|%)/g, (all, key: string | undefined) => {
    if (key === undefined) return '%';
    if (!(key in target)) missing = true;
    return pyStr(target[key]);
  });
  return missing ? undefined : text;
}

/** A quoted string or number on the left of a generic check is a constant, not a credential. */
function literal(key: string): string | undefined {
  const quoted = /^(['"])(.*)\1$/.exec(key);
  if (quoted) return quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(key)) return key;
  if (key === 'True' || key === 'False' || key === 'None') return key;
  return undefined;
}

/** oslo's GenericCheck._find_in_dict: dotted paths, any element of a list may match. */
function findIn(value: unknown, path: readonly string[], match: string): boolean {
  if (path.length === 0) return pyStr(value) === match;
  if (value === null || typeof value !== 'object') return false;
  const next = (value as Record<string, unknown>)[path[0]];
  if (next === undefined) return false;
  if (Array.isArray(next)) return next.some((item) => findIn(item, path.slice(1), match));
  return findIn(next, path.slice(1), match);
}

/** Evaluates a check; `rule:x` asks `rules`, where an unknown name is a failed check. */
export function evaluate(
  check: Check,
  target: Target,
  credentials: Credentials,
  rule: (name: string) => boolean,
): boolean {
  switch (check.kind) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'rule':
      return rule(check.name);
    case 'role': {
      const wanted = interpolate(check.match, target)?.toLowerCase();
      const roles = credentials.roles;
      return (
        wanted !== undefined &&
        Array.isArray(roles) &&
        roles.some((role) => String(role).toLowerCase() === wanted)
      );
    }
    case 'generic': {
      const match = interpolate(check.match, target);
      if (match === undefined) return false;
      const constant = literal(check.key);
      if (constant !== undefined) return constant === match;
      return findIn(credentials, check.key.split('.'), match);
    }
    case 'not':
      return !evaluate(check.check, target, credentials, rule);
    case 'and':
      return check.checks.every((c) => evaluate(c, target, credentials, rule));
    case 'or':
      return check.checks.some((c) => evaluate(c, target, credentials, rule));
  }
}

/** The `rule:x` names a check refers to. */
export function referencedRules(check: Check): string[] {
  switch (check.kind) {
    case 'rule':
      return [check.name];
    case 'not':
      return referencedRules(check.check);
    case 'and':
    case 'or':
      return check.checks.flatMap(referencedRules);
    default:
      return [];
  }
}
