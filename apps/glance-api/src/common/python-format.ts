/**
 * Python's repr() and pprint.pformat(width=72, sort_dicts=False) of JSON values, as Glance's
 * messages quote them (python-jsonschema's ValidationError text is built from them).
 */

/** Python's repr() of a str. */
function reprStr(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function reprNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

/** Python's repr() of a value parsed from JSON (dicts keep their order). */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return reprStr(value);
  if (typeof value === 'number') return reprNumber(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${reprStr(k)}: ${pythonRepr(v)}`).join(', ')}}`;
}

const WIDTH = 72;

function isDict(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** CPython's PrettyPrinter._format and the dispatch it does for dict, list and str. */
function format(value: unknown, indent: number, allowance: number, level: number): string {
  const rep = pythonRepr(value);
  if (rep.length <= WIDTH - indent - allowance) return rep;
  if (isDict(value) && Object.keys(value).length > 0) {
    return `{${dictItems(Object.entries(value), indent, allowance + 1, level + 1)}}`;
  }
  if (Array.isArray(value) && value.length > 0) {
    return `[${listItems(value, indent, allowance + 1, level + 1)}]`;
  }
  if (typeof value === 'string' && value.length > 0) {
    return formatStr(value, indent, allowance, level + 1);
  }
  return rep;
}

function dictItems(
  items: [string, unknown][],
  indent: number,
  allowance: number,
  level: number,
): string {
  const inner = indent + 1;
  return items
    .map(([key, entry], i) => {
      const last = i === items.length - 1;
      const keyRep = reprStr(key);
      return `${keyRep}: ${format(entry, inner + keyRep.length + 2, last ? allowance : 1, level)}`;
    })
    .join(`,\n${' '.repeat(inner)}`);
}

function listItems(items: unknown[], indent: number, allowance: number, level: number): string {
  const inner = indent + 1;
  return items
    .map((entry, i) => format(entry, inner, i === items.length - 1 ? allowance : 1, level))
    .join(`,\n${' '.repeat(inner)}`);
}

/** CPython's PrettyPrinter._pprint_str: a long string as adjacent literals, split at spaces. */
function formatStr(value: string, indent: number, allowance: number, level: number): string {
  const chunks: string[] = [];
  const lines = value.split(/(?<=\r\n|\n|\r)/);
  if (level === 1) {
    indent += 1;
    allowance += 1;
  }
  let maxWidth1 = WIDTH - indent;
  const maxWidth = WIDTH - indent;
  let lastRep = '';
  lines.forEach((line, i) => {
    const rep = reprStr(line);
    lastRep = rep;
    if (i === lines.length - 1) maxWidth1 -= allowance;
    if (rep.length <= maxWidth1) {
      chunks.push(rep);
      return;
    }
    const parts = line.match(/\S*\s*/g)!.filter((part, j, all) => j < all.length - 1 || part);
    let maxWidth2 = maxWidth;
    let current = '';
    parts.forEach((part, j) => {
      const candidate = current + part;
      if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
      if (reprStr(candidate).length > maxWidth2) {
        if (current) chunks.push(reprStr(current));
        current = part;
      } else {
        current = candidate;
      }
    });
    if (current) chunks.push(reprStr(current));
  });
  if (chunks.length === 1) return lastRep;
  const body = chunks.join(`\n${' '.repeat(indent)}`);
  return level === 1 ? `(${body})` : body;
}

/** pprint.pformat(value, width=72, sort_dicts=False). */
export function pythonPformat(value: unknown): string {
  return format(value, 0, 0, 0);
}

/** `schema['properties']['type']`: python-jsonschema's format_as_index. */
function asIndex(container: string, path: readonly string[]): string {
  return path.length === 0 ? container : `${container}[${path.map(reprStr).join('][')}]`;
}

const indented = (text: string) => text.replace(/\n/g, '\n    ');

/** The text of a python-jsonschema ValidationError (str(e)), as Glance's messages quote it. */
export function jsonschemaErrorText(error: {
  message: string;
  validator: string;
  schemaPath: readonly string[];
  schema: unknown;
  instancePath: readonly string[];
  instance: unknown;
}): string {
  return (
    `${error.message}\n\n` +
    `Failed validating ${reprStr(error.validator)} in ${asIndex('schema', error.schemaPath)}:\n` +
    `    ${indented(pythonPformat(error.schema))}\n\n` +
    `On ${asIndex('instance', error.instancePath)}:\n` +
    `    ${indented(pythonPformat(error.instance))}`
  );
}
