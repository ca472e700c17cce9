/**
 * Cinder's extra_specs_ops: how a volume type's extra-spec requirement (e.g. `>= 100`,
 * `<in> ssd`, `<is> True`, `<or> iscsi <or> fc`) is matched against a backend capability.
 */

export type CapabilityValue = string | number | boolean;

/** Parses like Python's float(): surrounding blanks allowed, empty or junk is not a number. */
function toNumber(value: CapabilityValue): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}

const TRUE_STRINGS = new Set(['1', 't', 'true', 'on', 'y', 'yes']);

/** oslo's bool_from_string (non-strict): a few spellings are true, anything else is false. */
function toBoolean(value: CapabilityValue): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  return TRUE_STRINGS.has(value.trim().toLowerCase());
}

function numeric(test: (a: number, b: number) => boolean) {
  return (value: CapabilityValue, operand: string): boolean => {
    const a = toNumber(value);
    const b = toNumber(operand);
    // Python raises ValueError on a non-number and Cinder treats that as "no match".
    return a !== undefined && b !== undefined && test(a, b);
  };
}

function textual(test: (a: string, b: string) => boolean) {
  return (value: CapabilityValue, operand: string): boolean => test(String(value), operand);
}

type Operator = (value: CapabilityValue, operand: string) => boolean;

const OPERATORS: Readonly<Record<string, Operator>> = {
  // `=` is "at least", not equality: a backend with more of something satisfies the request.
  '=': numeric((a, b) => a >= b),
  '==': numeric((a, b) => a === b),
  '!=': numeric((a, b) => a !== b),
  '>=': numeric((a, b) => a >= b),
  '<=': numeric((a, b) => a <= b),
  's==': textual((a, b) => a === b),
  's!=': textual((a, b) => a !== b),
  's<': textual((a, b) => a < b),
  's<=': textual((a, b) => a <= b),
  's>': textual((a, b) => a > b),
  's>=': textual((a, b) => a >= b),
  '<in>': textual((a, b) => a.includes(b)),
  '<is>': (value, operand) => toBoolean(value) === toBoolean(operand),
};

/** Whether a capability value satisfies an extra-spec requirement. */
export function matches(value: CapabilityValue, requirement: string): boolean {
  const words = requirement.split(/\s+/).filter((w) => w !== '');
  const [op, ...operands] = words;

  if (op === '<or>') {
    // `<or> a <or> b <or> c`: the alternatives sit at every other word after the first `<or>`.
    const wanted = String(value);
    return operands.some((word, i) => i % 2 === 0 && word === wanted);
  }

  const operator = op === undefined ? undefined : OPERATORS[op];
  // No recognised operator: the whole requirement is a literal to compare with.
  if (!operator) return String(value) === requirement;
  // An operator with nothing to compare against can never be satisfied.
  if (operands.length === 0) return false;
  // Like Cinder, only the first operand counts (`<in> a b` tests for `a`).
  return operator(value, operands[0]);
}
