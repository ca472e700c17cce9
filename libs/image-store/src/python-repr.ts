/**
 * Python's `repr` and `pprint.pformat(..., sort_dicts=False)` for JSON values. Glance answers a
 * request its schema refuses with `str(jsonschema.ValidationError)`, which prints the schema and
 * the instance this way; clients and people read those messages, so they are reproduced as is.
 */

/** Code points (Python's len), not UTF-16 units. */
export function pyLen(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

// str.isprintable() is false for the "Other" and "Separator" categories, except the space.
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(codePoint: number, digits: number): string {
  return codePoint.toString(16).padStart(digits, '0');
}

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === quote || char === '\\') out += `\\${char}`;
    else if (char === '\t') out += '\\t';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${hex(code, 2)}`;
    else if (code < 0x7f) out += char;
    else if (char !== ' ' && NON_PRINTABLE.test(char)) {
      out +=
        code <= 0xff
          ? `\\x${hex(code, 2)}`
          : code <= 0xffff
            ? `\\u${hex(code, 4)}`
            : `\\U${hex(code, 8)}`;
    } else out += char;
  }
  return out + quote;
}

/** float.__repr__: the shortest digits, exponent form below 1e-4 and from 1e16. */
function reprNumber(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  // JSON without a fraction is a Python int, printed with all its digits.
  if (Number.isInteger(value)) return BigInt(value).toString();
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = negative ? '-' : '';
  if (exponent < -4 || exponent >= 16) {
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? '-' : '+';
    return `${sign}${body}e${expSign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1) || '0';
  return `${sign}${whole}.${fraction}`;
}

/** Python's repr of a value decoded from JSON. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return reprNumber(value);
  if (typeof value === 'string') return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value as Record<string, unknown>).map(
      ([key, item]) => `${reprString(key)}: ${pyRepr(item)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return reprString(String(value));
}

/** Python's str() of a value decoded from JSON: a string as is, anything else as its repr. */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value);
}

/** str.splitlines(keepends=True). */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  const breaks = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;
  let start = 0;
  for (const match of text.matchAll(breaks)) {
    const end = (match.index ?? 0) + match[0].length;
    lines.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** pprint.PrettyPrinter(width, sort_dicts=False) for dicts, lists and strings. */
class PrettyPrinter {
  private out = '';

  constructor(private readonly width: number) {}

  format(value: unknown): string {
    this.out = '';
    this.formatValue(value, 0, 0, 0);
    return this.out;
  }

  private formatValue(value: unknown, indent: number, allowance: number, level: number): void {
    const rep = pyRepr(value);
    if (pyLen(rep) > this.width - indent - allowance) {
      if (Array.isArray(value)) return this.printList(value, indent, allowance, level + 1);
      if (typeof value === 'string') return this.printString(value, indent, allowance, level + 1);
      if (value !== null && typeof value === 'object') {
        return this.printDict(value as Record<string, unknown>, indent, allowance, level + 1);
      }
    }
    this.out += rep;
  }

  private printDict(
    value: Record<string, unknown>,
    indent: number,
    allowance: number,
    level: number,
  ): void {
    this.out += '{';
    const items = Object.entries(value);
    const itemIndent = indent + 1;
    items.forEach(([key, item], i) => {
      const last = i === items.length - 1;
      const keyRep = reprString(key);
      this.out += `${keyRep}: `;
      this.formatValue(item, itemIndent + pyLen(keyRep) + 2, last ? allowance + 1 : 1, level);
      if (!last) this.out += `,\n${' '.repeat(itemIndent)}`;
    });
    this.out += '}';
  }

  private printList(value: unknown[], indent: number, allowance: number, level: number): void {
    this.out += '[';
    const itemIndent = indent + 1;
    value.forEach((item, i) => {
      const last = i === value.length - 1;
      if (i > 0) this.out += `,\n${' '.repeat(itemIndent)}`;
      this.formatValue(item, itemIndent, last ? allowance + 1 : 1, level);
    });
    this.out += ']';
  }

  private printString(value: string, indent: number, allowance: number, level: number): void {
    if (value.length === 0) {
      this.out += reprString(value);
      return;
    }
    const chunks: string[] = [];
    const lines = splitLines(value);
    if (level === 1) {
      indent += 1;
      allowance += 1;
    }
    const maxWidth = this.width - indent;
    let maxWidth1 = maxWidth;
    let rep = '';
    lines.forEach((line, i) => {
      rep = reprString(line);
      if (i === lines.length - 1) maxWidth1 -= allowance;
      if (pyLen(rep) <= maxWidth1) {
        chunks.push(rep);
        return;
      }
      // Alternating (non-space, space) parts, re.findall(r'\S*\s*', line) less its empty end.
      const parts = [...line.matchAll(/\S*\s*/gu)].map((m) => m[0]);
      parts.pop();
      let maxWidth2 = maxWidth;
      let current = '';
      parts.forEach((part, j) => {
        const candidate = current + part;
        if (j === parts.length - 1 && i === lines.length - 1) maxWidth2 -= allowance;
        if (pyLen(reprString(candidate)) > maxWidth2) {
          if (current) chunks.push(reprString(current));
          current = part;
        } else current = candidate;
      });
      if (current) chunks.push(reprString(current));
    });
    if (chunks.length === 1) {
      this.out += rep;
      return;
    }
    if (level === 1) this.out += '(';
    this.out += chunks.join(`\n${' '.repeat(indent)}`);
    if (level === 1) this.out += ')';
  }
}

/** pprint.pformat(value, width=width, sort_dicts=False). */
export function pformat(value: unknown, width = 80): string {
  return new PrettyPrinter(width).format(value);
}
