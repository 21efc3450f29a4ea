/**
 * Method options as data: each method declares the options it reads (name, type, default, range,
 * help). The CLI turns every declared option into a `--name` flag, the explorer into a form field; this
 * file checks and completes the values a caller gives for the methods it runs.
 */
import { fail, listForMessage } from '../errors.js';
import type { Method } from './types.js';

export type OptionValue = number | string | boolean;

export interface OptionSpec {
  /** the option's name, also its command-line flag (`--ig-steps`) */
  readonly name: string;
  readonly type: 'integer' | 'number' | 'string' | 'enum' | 'boolean';
  readonly default?: OptionValue;
  /** the allowed values of an 'enum' */
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly help: string;
}

/** Every option any of `methods` declares; an option shared by several methods must be declared alike. */
export function optionSpecs(methods: readonly Method[]): Map<string, OptionSpec> {
  const out = new Map<string, OptionSpec>();
  for (const m of methods) {
    for (const o of m.options ?? []) {
      const seen = out.get(o.name);
      if (seen && JSON.stringify({ ...seen, help: '' }) !== JSON.stringify({ ...o, help: '' })) {
        fail('USAGE', `option '${o.name}' is declared differently by two methods (one of them '${m.id}').`);
      }
      out.set(o.name, seen ?? o);
    }
  }
  return out;
}

/** Converts and checks one value (strings from a command line are parsed). */
export function checkOption(spec: OptionSpec, value: unknown): OptionValue {
  const bad = (why: string): never => fail('USAGE', `--${spec.name} ${why}, got '${String(value)}'.`);
  switch (spec.type) {
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return bad('must be true or false');
    case 'string':
      if (typeof value !== 'string' || value === '') return bad('must be a non-empty string');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.choices?.includes(value)) return bad(`must be one of ${spec.choices?.join(', ')}`);
      return value;
    case 'integer':
    case 'number': {
      const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
      if (!Number.isFinite(x)) return bad('must be a number');
      if (spec.type === 'integer' && !Number.isInteger(x)) return bad('must be an integer');
      if (spec.min !== undefined && x < spec.min) return bad(`must be at least ${spec.min}`);
      if (spec.max !== undefined && x > spec.max) return bad(`must be at most ${spec.max}`);
      return x;
    }
  }
}

/**
 * The values each method reads: the given ones (checked) and the defaults. A given option that none of
 * the methods reads is an error that says which methods it belongs to.
 */
export function resolveOptions(methods: readonly Method[], given: Readonly<Record<string, unknown>>, all: readonly Method[]): Map<string, Readonly<Record<string, OptionValue>>> {
  const specs = optionSpecs(methods);
  for (const name of Object.keys(given)) {
    if (given[name] === undefined || specs.has(name)) continue;
    const owners = all.filter((m) => m.options?.some((o) => o.name === name)).map((m) => m.id);
    fail('USAGE', owners.length
      ? `--${name} applies to ${listForMessage(owners)}, not to ${listForMessage(methods.map((m) => m.id))}.`
      : `unknown option --${name}.`);
  }
  const out = new Map<string, Readonly<Record<string, OptionValue>>>();
  for (const m of methods) {
    const values: Record<string, OptionValue> = {};
    for (const o of m.options ?? []) {
      const v = given[o.name];
      if (v !== undefined) values[o.name] = checkOption(o, v);
      else if (o.default !== undefined) values[o.name] = o.default;
    }
    out.set(m.id, values);
  }
  return out;
}
