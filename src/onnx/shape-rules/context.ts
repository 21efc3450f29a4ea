/**
 * What a shape rule sees, and the dimension arithmetic the rules share. A dimension is a number, a
 * symbol (the batch 'N') or null (unknown); symbols survive wherever the result provably equals them.
 */
import { fail } from '../../errors.js';
import { attrInts, type Dim, type Node } from '../ir.js';
import { knownNumbers, type SymTensor } from '../symbolic.js';

export interface ShapeInfo {
  elemType: number;
  shape: Dim[];
}

export interface RuleContext {
  readonly node: Node;
  readonly opset: number;
  /** whether input slot i is given (not omitted) */
  has(i: number): boolean;
  /** element type and shape of input i, if known */
  input(i: number): ShapeInfo | undefined;
  /** symbolic value of input i, if known */
  value(i: number): SymTensor | undefined;
  /** value of input i when every element is a known number */
  numbers(i: number): number[] | undefined;
  /** throws a SHAPE error naming the node and its input shapes */
  fail(message: string): never;
}

/** Output shapes by output slot; undefined (or a missing slot) means unknown. */
export type ShapeRule = (ctx: RuleContext) => readonly (ShapeInfo | undefined)[] | undefined;

export function fmtDim(d: Dim): string {
  return d === null ? '?' : String(d);
}

export function fmtShape(s: readonly Dim[]): string {
  return `[${s.map(fmtDim).join(', ')}]`;
}

export function makeContext(
  node: Node,
  opset: number,
  lookup: (name: string) => ShapeInfo | undefined,
  valueOf: (name: string) => SymTensor | undefined,
): RuleContext {
  const name = (i: number) => node.inputs[i] ?? '';
  return {
    node,
    opset,
    has: (i) => name(i) !== '',
    input: (i) => (name(i) ? lookup(name(i)) : undefined),
    value: (i) => (name(i) ? valueOf(name(i)) : undefined),
    numbers: (i) => (name(i) ? knownNumbers(valueOf(name(i))) : undefined),
    fail(message: string): never {
      const shapes = node.inputs
        .filter((n) => n)
        .map((n) => {
          const s = lookup(n);
          return `${n} ${s ? fmtShape(s.shape) : '(unknown)'}`;
        });
      fail('SHAPE', `node '${node.name || '(unnamed)'}' (${node.opType}): ${message}. Input shapes: ${shapes.join(', ') || '(none)'}.`);
    },
  };
}

export const isNum = (d: Dim): d is number => typeof d === 'number';

/** Normalizes a possibly negative axis into [0, rank). */
export function normAxis(ctx: RuleContext, axis: number, rank: number, what = 'axis'): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) ctx.fail(`${what} ${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

/** Numpy broadcasting of two dims; undefined when they are incompatible. */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (a === 1) return b;
  if (b === 1) return a;
  if (isNum(a) && isNum(b)) return undefined;
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  // two different symbols, or a symbol and an unknown: either could be 1
  return null;
}

export function broadcastShapes(ctx: RuleContext, shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let k = 0; k < rank; k++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const j = s.length - rank + k;
      if (j < 0) continue;
      const r = broadcastDim(d, s[j]!);
      if (r === undefined) ctx.fail(`shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dimension ${k} of the result: ${fmtDim(d)} vs ${fmtDim(s[j]!)})`);
      d = r;
    }
    out.push(d);
  }
  return out;
}

/** Checks that `b` broadcasts to `a` without changing it (PRelu slope, Gemm C). */
export function checkUnidirectional(ctx: RuleContext, target: readonly Dim[], b: readonly Dim[], what: string): void {
  if (b.length > target.length) ctx.fail(`${what} ${fmtShape(b)} has more dimensions than ${fmtShape(target)}`);
  for (let k = 0; k < b.length; k++) {
    const t = target[target.length - b.length + k]!;
    const d = b[k]!;
    if (isNum(d) && d !== 1 && isNum(t) && d !== t) ctx.fail(`${what} ${fmtShape(b)} does not broadcast to ${fmtShape(target)}`);
  }
}

/**
 * Two dims that must be equal: the better-known one, undefined when they provably differ.
 */
export function mergeDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (isNum(a) && isNum(b)) return undefined;
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return a ?? b;
}

/** Product of dims: a number, a lone symbol (times ones), or unknown. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let p = 1;
  let sym: string | undefined;
  for (const d of dims) {
    if (isNum(d)) p *= d;
    else if (d === null || sym !== undefined) return dims.some((x) => x === 0) ? 0 : null;
    else sym = d;
  }
  if (sym === undefined) return p;
  if (p === 0) return 0;
  return p === 1 ? sym : null;
}

/** Sum of dims: a number when all are known, the lone non-zero symbol, or unknown. */
export function dimSum(dims: readonly Dim[]): Dim {
  const rest = dims.filter((d) => d !== 0);
  if (rest.every(isNum)) return (rest as number[]).reduce((a, b) => a + b, 0);
  return rest.length === 1 ? rest[0]! : null;
}

/** `d + delta`: keeps a symbol only when delta is 0. */
export function dimAdd(d: Dim, delta: number): Dim {
  if (isNum(d)) return d + delta;
  return delta === 0 ? d : null;
}

/** Attribute ints with a default of `n` copies of `fill`. */
export function intsOr(node: Node, name: string, n: number, fill: number): number[] {
  const v = attrInts(node, name);
  return v ? [...v] : new Array<number>(n).fill(fill);
}

export function same(x: ShapeInfo, elemType = x.elemType): ShapeInfo {
  return { elemType, shape: [...x.shape] };
}

/**
 * An int list given as an attribute in older opsets and as an input in newer ones (axes, split,
 * pads): the numbers, undefined when neither is given, null when the input is not a known constant.
 */
export function listArg(ctx: RuleContext, slot: number, attrName: string): number[] | undefined | null {
  if (ctx.has(slot)) return ctx.numbers(slot) ?? null;
  const a = attrInts(ctx.node, attrName);
  return a ? [...a] : undefined;
}
