import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  type Check,
  type Credentials,
  evaluate,
  parseCheckString,
  PolicyParseError,
  referencedRules,
  type Target,
} from './check-language';

/** Cinder's PolicyNotAuthorized: the 403 a refused action answers. */
export class PolicyNotAuthorized extends Error {
  constructor(readonly rule: string) {
    super(`Policy doesn't allow ${rule} to be performed.`);
  }
}

/** A policy file or rule set that cannot be used; the service should not start with it. */
export class PolicyFileError extends Error {}

/**
 * oslo.policy's Enforcer: registered defaults, replaced rule by rule by an operator's overrides.
 * Every check string is parsed, and every `rule:x` resolved, when the enforcer is built, so that
 * a mistake stops the service instead of quietly refusing (oslo only logs it).
 */
export class Enforcer {
  private readonly rules = new Map<string, Check>();

  constructor(
    defaults: Readonly<Record<string, string>>,
    overrides: Readonly<Record<string, string>> = {},
  ) {
    const problems: string[] = [];
    for (const [name, text] of Object.entries({ ...defaults, ...overrides })) {
      try {
        this.rules.set(name, parseCheckString(text));
      } catch (error) {
        if (!(error instanceof PolicyParseError)) throw error;
        problems.push(`${name}: ${error.message}`);
      }
    }
    for (const [name, check] of this.rules) {
      for (const ref of referencedRules(check)) {
        if (!this.rules.has(ref)) problems.push(`${name}: refers to undefined rule:${ref}`);
      }
    }
    const cycle = this.findCycle();
    if (cycle) problems.push(`rules refer to each other in a circle: ${cycle.join(' -> ')}`);
    if (problems.length > 0) throw new PolicyFileError(problems.join('; '));
  }

  /** Whether `credentials` may do `rule` on `target`; an unregistered rule is a programming error. */
  enforce(rule: string, target: Target, credentials: Credentials): boolean {
    const check = this.rules.get(rule);
    if (!check) throw new Error(`Policy ${rule} is not registered`);
    const lookup = (name: string): boolean => {
      const next = this.rules.get(name);
      return next !== undefined && evaluate(next, target, credentials, lookup);
    };
    return evaluate(check, target, credentials, lookup);
  }

  /** As enforce, but a refusal throws Cinder's PolicyNotAuthorized. */
  authorize(rule: string, target: Target, credentials: Credentials): void {
    if (!this.enforce(rule, target, credentials)) throw new PolicyNotAuthorized(rule);
  }

  private findCycle(): string[] | undefined {
    const done = new Set<string>();
    const visit = (name: string, path: string[]): string[] | undefined => {
      if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
      if (done.has(name)) return undefined;
      const check = this.rules.get(name);
      for (const ref of check ? referencedRules(check) : []) {
        const cycle = visit(ref, [...path, name]);
        if (cycle) return cycle;
      }
      done.add(name);
      return undefined;
    };
    for (const name of this.rules.keys()) {
      const cycle = visit(name, []);
      if (cycle) return cycle;
    }
    return undefined;
  }
}

/**
 * An oslo.policy file: a YAML (or JSON, which is YAML) mapping of rule name to check string.
 * An empty file overrides nothing, as in oslo.
 */
export function parsePolicyFile(text: string, source: string): Record<string, string> {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new PolicyFileError(`${source} is not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new PolicyFileError(`${source} must map rule names to check strings`);
  }
  const rules: Record<string, string> = {};
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'string') {
      throw new PolicyFileError(`${source}: the rule ${name} must be a check string`);
    }
    rules[name] = value;
  }
  return rules;
}

/** The enforcer a service runs with: the defaults, overridden by `policyFile` when one is named. */
export function loadEnforcer(
  defaults: Readonly<Record<string, string>>,
  policyFile?: string,
): Enforcer {
  if (!policyFile) return new Enforcer(defaults);
  let text: string;
  try {
    text = readFileSync(policyFile, 'utf8');
  } catch (error) {
    throw new PolicyFileError(`cannot read ${policyFile}: ${(error as Error).message}`);
  }
  const overrides = parsePolicyFile(text, policyFile);
  try {
    return new Enforcer(defaults, overrides);
  } catch (error) {
    if (error instanceof PolicyFileError) {
      throw new PolicyFileError(`${policyFile}: ${error.message}`);
    }
    throw error;
  }
}
