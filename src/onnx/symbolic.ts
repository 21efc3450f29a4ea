/**
 * Symbolic values of small 0-D and 1-D tensors: the shape arithmetic exporters emit
 * (Shape → Gather → Unsqueeze → Concat → Reshape and friends). An element is a known number, a
 * dimension symbol such as the batch 'N' (which stays a symbol through the computation), or null
 * when nothing is known about it. Shape inference uses these values for Reshape/Slice/... targets;
 * folding turns fully known ones into initializers.
 */
import { attr, attrInt, attrInts, DType, type Dim, type Node, type Tensor } from './ir.js';
import { numel, tensorValues } from './tensor.js';

export type SymElem = number | string | null;

export interface SymTensor {
  /** [] for a scalar, [n] for a vector */
  readonly dims: readonly number[];
  readonly values: readonly SymElem[];
}

/** Larger tensors are not tracked: shape computations are tiny. */
export const MAX_SYMBOLIC_ELEMENTS = 1024;

const NUMERIC_TYPES: ReadonlySet<number> = new Set([
  DType.FLOAT, DType.DOUBLE, DType.FLOAT16, DType.INT64, DType.INT32, DType.INT16, DType.INT8,
  DType.UINT64, DType.UINT32, DType.UINT16, DType.UINT8, DType.BOOL,
]);

export function isIntegerType(dt: number): boolean {
  return dt !== DType.FLOAT && dt !== DType.DOUBLE && dt !== DType.FLOAT16 && dt !== DType.BFLOAT16;
}

/** The value of a constant tensor, when it is small, at most 1-D and numeric. */
export function symFromTensor(t: Tensor): SymTensor | undefined {
  if (t.dims.length > 1 || !NUMERIC_TYPES.has(t.dataType) || numel(t.dims) > MAX_SYMBOLIC_ELEMENTS) return undefined;
  return { dims: [...t.dims], values: tensorValues(t) };
}

/** The values when every element is a known number. */
export function knownNumbers(v: SymTensor | undefined): number[] | undefined {
  if (!v || !v.values.every((x) => typeof x === 'number')) return undefined;
  return v.values as number[];
}

/** What a Constant node holds: element type and dims always, a tensor when it can be built. */
export interface ConstantAttr {
  readonly dataType: number;
  readonly dims: number[];
  readonly tensor?: Tensor;
  readonly numbers?: number[];
}

export function constantAttr(node: Node): ConstantAttr | undefined {
  for (const a of node.attributes) {
    switch (a.name) {
      case 'value':
        if (a.type !== 'tensor') return undefined;
        return { dataType: a.value.dataType, dims: [...a.value.dims], tensor: a.value };
      case 'value_float':
        return { dataType: DType.FLOAT, dims: [], numbers: [a.value as number] };
      case 'value_floats':
        return { dataType: DType.FLOAT, dims: [(a.value as number[]).length], numbers: [...(a.value as number[])] };
      case 'value_int':
        return { dataType: DType.INT64, dims: [], numbers: [a.value as number] };
      case 'value_ints':
        return { dataType: DType.INT64, dims: [(a.value as number[]).length], numbers: [...(a.value as number[])] };
      case 'value_string':
        return { dataType: DType.STRING, dims: [] };
      case 'value_strings':
        return { dataType: DType.STRING, dims: [(a.value as string[]).length] };
      default:
    }
  }
  return undefined;
}

/** What evaluating a node symbolically may look at. */
export interface SymContext {
  readonly node: Node;
  readonly opset: number;
  value(i: number): SymTensor | undefined;
  /** shape of input i (rank known), or undefined */
  shape(i: number): readonly Dim[] | undefined;
  elemType(i: number): number | undefined;
  /** element type of output i as shape inference found it */
  outType(i: number): number | undefined;
}

type SymOp = (c: SymContext) => SymTensor | undefined;

function present(c: SymContext, i: number): boolean {
  return (c.node.inputs[i] ?? '') !== '';
}

/** Axes from the attribute (older opsets) or the second input (newer ones). */
function axesOf(c: SymContext, inputIndex: number): number[] | undefined | null {
  if (present(c, inputIndex)) return knownNumbers(c.value(inputIndex)) ?? null;
  return attrInts(c.node, 'axes') ? [...attrInts(c.node, 'axes')!] : undefined;
}

function roundForType(x: number, dt: number | undefined): number {
  if (dt === undefined) return x;
  if (dt === DType.FLOAT) return Math.fround(x);
  if (dt === DType.BOOL) return x ? 1 : 0;
  if (isIntegerType(dt)) return Math.trunc(x);
  return x;
}

/** Elementwise op on 0-D/1-D values with broadcasting. */
function elementwise(c: SymContext, n: number, f: (xs: SymElem[]) => SymElem): SymTensor | undefined {
  const vs: SymTensor[] = [];
  for (let i = 0; i < n; i++) {
    const v = c.value(i);
    if (!v) return undefined;
    vs.push(v);
  }
  const len = Math.max(...vs.map((v) => v.values.length));
  if (vs.some((v) => v.values.length !== len && v.values.length !== 1)) return undefined;
  const dims = vs.some((v) => v.dims.length === 1) ? [len] : [];
  const out = c.outType(0);
  const values: SymElem[] = [];
  for (let k = 0; k < len; k++) {
    const r = f(vs.map((v) => v.values[v.values.length === 1 ? 0 : k]!));
    values.push(typeof r === 'number' ? roundForType(r, out) : r);
  }
  return { dims, values };
}

function arith(op: string): SymOp {
  return (c) => {
    const intDiv = isIntegerType(c.elemType(0) ?? DType.FLOAT);
    return elementwise(c, 2, ([a, b]) => {
      if (typeof a === 'number' && typeof b === 'number') {
        switch (op) {
          case 'Add': return a + b;
          case 'Sub': return a - b;
          case 'Mul': return a * b;
          case 'Div': return b === 0 ? null : intDiv ? Math.trunc(a / b) : a / b;
          case 'Max': return Math.max(a, b);
          case 'Min': return Math.min(a, b);
          default: return null;
        }
      }
      // a symbol survives only the identities
      if (op === 'Mul') {
        if (a === 1) return b!;
        if (b === 1) return a!;
        if (a === 0 || b === 0) return 0;
      }
      if (op === 'Add') {
        if (a === 0) return b!;
        if (b === 0) return a!;
      }
      if (op === 'Sub') {
        if (b === 0) return a!;
        if (typeof a === 'string' && a === b) return 0;
      }
      if (op === 'Div') {
        if (b === 1) return a!;
        if (typeof a === 'string' && a === b) return 1;
      }
      if ((op === 'Max' || op === 'Min') && typeof a === 'string' && a === b) return a;
      return null;
    });
  };
}

function compare(op: string): SymOp {
  return (c) =>
    elementwise(c, 2, ([a, b]) => {
      if (typeof a === 'number' && typeof b === 'number') {
        switch (op) {
          case 'Equal': return a === b ? 1 : 0;
          case 'Greater': return a > b ? 1 : 0;
          case 'Less': return a < b ? 1 : 0;
          case 'GreaterOrEqual': return a >= b ? 1 : 0;
          case 'LessOrEqual': return a <= b ? 1 : 0;
          case 'And': return a && b ? 1 : 0;
          case 'Or': return a || b ? 1 : 0;
          default: return null;
        }
      }
      if (typeof a === 'string' && a === b) {
        if (op === 'Equal' || op === 'GreaterOrEqual' || op === 'LessOrEqual') return 1;
        if (op === 'Greater' || op === 'Less') return 0;
      }
      return null;
    });
}

function unary(f: (x: number) => number): SymOp {
  return (c) => {
    const v = c.value(0);
    if (!v) return undefined;
    const out = c.outType(0);
    return { dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? roundForType(f(x), out) : null)) };
  };
}

/** ONNX Round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function sliceValues(values: readonly SymElem[], start: number, end: number, step: number): SymElem[] | undefined {
  const d = values.length;
  if (step === 0) return undefined;
  if (start < 0) start += d;
  if (end < 0) end += d;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), d);
    end = Math.min(Math.max(end, 0), d);
  } else {
    start = Math.min(Math.max(start, 0), d - 1);
    end = Math.min(Math.max(end, -1), d - 1);
  }
  const out: SymElem[] = [];
  if (step > 0) for (let i = start; i < end; i += step) out.push(values[i]!);
  else for (let i = start; i > end; i += step) out.push(values[i]!);
  return out;
}

function reduceAll(op: string): SymOp {
  return (c) => {
    const v = c.value(0);
    if (!v || v.dims.length !== 1) return undefined;
    const axes = axesOf(c, 1);
    if (axes === null) return undefined;
    if (axes && axes.length && !axes.every((a) => a === 0 || a === -1)) return undefined;
    if (axes && axes.length === 0 && attrInt(c.node, 'noop_with_empty_axes', 0)) return v;
    const keep = attrInt(c.node, 'keepdims', 1) === 1;
    let result: SymElem;
    if (v.values.every((x) => typeof x === 'number')) {
      const xs = v.values as number[];
      switch (op) {
        case 'ReduceProd': result = xs.reduce((a, b) => a * b, 1); break;
        case 'ReduceSum': result = xs.reduce((a, b) => a + b, 0); break;
        case 'ReduceMax': result = xs.length ? Math.max(...xs) : null; break;
        case 'ReduceMin': result = xs.length ? Math.min(...xs) : null; break;
        default: result = null;
      }
    } else if (op === 'ReduceProd') {
      // the product is a symbol only when it is exactly one symbol times ones
      const syms = v.values.filter((x) => typeof x !== 'number');
      const rest = v.values.filter((x) => typeof x === 'number') as number[];
      result = syms.length === 1 && typeof syms[0] === 'string' && rest.every((x) => x === 1) ? syms[0] : null;
    } else {
      result = null;
    }
    return { dims: keep ? [1] : [], values: [result] };
  };
}

const OPS: Record<string, SymOp> = {
  Identity: (c) => c.value(0),
  Cast: (c) => {
    const v = c.value(0);
    if (!v) return undefined;
    const to = attrInt(c.node, 'to', DType.FLOAT);
    return { dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? roundForType(x, to) : to === DType.BOOL ? null : x)) };
  },
  CastLike: (c) => {
    const v = c.value(0);
    const to = c.elemType(1);
    if (!v || to === undefined) return undefined;
    return { dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? roundForType(x, to) : to === DType.BOOL ? null : x)) };
  },
  Constant: (c) => {
    const k = constantAttr(c.node);
    if (!k) return undefined;
    if (k.tensor) return symFromTensor(k.tensor);
    if (k.numbers && k.numbers.length <= MAX_SYMBOLIC_ELEMENTS) return { dims: k.dims, values: k.numbers };
    return undefined;
  },
  Shape: (c) => {
    const s = c.shape(0);
    if (!s) return undefined;
    const r = s.length;
    const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
    const start = clamp(attrInt(c.node, 'start', 0));
    const endAttr = attr(c.node, 'end');
    const end = endAttr ? clamp(attrInt(c.node, 'end', r)) : r;
    const values = s.slice(start, Math.max(start, end));
    return { dims: [values.length], values };
  },
  Size: (c) => {
    const s = c.shape(0);
    if (!s) return undefined;
    const nums = s.filter((d) => typeof d === 'number') as number[];
    const rest = s.filter((d) => typeof d !== 'number');
    const prod = nums.reduce((a, b) => a * b, 1);
    if (rest.length === 0) return { dims: [], values: [prod] };
    if (rest.length === 1 && typeof rest[0] === 'string' && prod === 1) return { dims: [], values: [rest[0]] };
    return { dims: [], values: [null] };
  },
  Gather: (c) => {
    const data = c.value(0);
    const idx = knownNumbers(c.value(1));
    const idxT = c.value(1);
    if (!data || !idx || !idxT || data.dims.length !== 1) return undefined;
    const axis = attrInt(c.node, 'axis', 0);
    if (axis !== 0 && axis !== -1) return undefined;
    const n = data.values.length;
    const values: SymElem[] = [];
    for (const i of idx) {
      const j = i < 0 ? i + n : i;
      if (j < 0 || j >= n) return undefined;
      values.push(data.values[j]!);
    }
    return { dims: idxT.dims, values };
  },
  Unsqueeze: (c) => {
    const v = c.value(0);
    if (!v || v.dims.length !== 0) return undefined;
    const axes = axesOf(c, 1);
    if (!axes || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1)) return undefined;
    return { dims: [1], values: v.values };
  },
  Squeeze: (c) => {
    const v = c.value(0);
    if (!v || v.dims.length !== 1 || v.values.length !== 1) return undefined;
    const axes = axesOf(c, 1);
    if (axes === null) return undefined;
    if (axes && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
    return { dims: [], values: v.values };
  },
  Concat: (c) => {
    const axis = attrInt(c.node, 'axis', 0);
    if (axis !== 0 && axis !== -1) return undefined;
    const values: SymElem[] = [];
    for (let i = 0; i < c.node.inputs.length; i++) {
      const v = c.value(i);
      if (v) {
        if (v.dims.length !== 1) return undefined;
        values.push(...v.values);
        continue;
      }
      // an unknown part of known length still leaves the other parts known
      const s = c.shape(i);
      if (!s || s.length !== 1 || typeof s[0] !== 'number') return undefined;
      for (let k = 0; k < s[0]; k++) values.push(null);
    }
    if (values.length > MAX_SYMBOLIC_ELEMENTS) return undefined;
    return { dims: [values.length], values };
  },
  Slice: (c) => {
    const v = c.value(0);
    if (!v || v.dims.length !== 1) return undefined;
    let starts: number[] | undefined, ends: number[] | undefined, axes: number[] | undefined, steps: number[] | undefined;
    if (c.node.inputs.length <= 1) {
      starts = attrInts(c.node, 'starts') as number[] | undefined;
      ends = attrInts(c.node, 'ends') as number[] | undefined;
      axes = attrInts(c.node, 'axes') as number[] | undefined;
    } else {
      starts = knownNumbers(c.value(1));
      ends = knownNumbers(c.value(2));
      if (present(c, 3)) axes = knownNumbers(c.value(3)) ?? [NaN];
      if (present(c, 4)) steps = knownNumbers(c.value(4)) ?? [NaN];
    }
    if (!starts || !ends || starts.length !== 1 || ends.length !== 1) return undefined;
    if (axes && !(axes.length === 1 && (axes[0] === 0 || axes[0] === -1))) return undefined;
    const step = steps ? steps[0]! : 1;
    if (!Number.isFinite(step)) return undefined;
    const values = sliceValues(v.values, starts[0]!, ends[0]!, step);
    return values && { dims: [values.length], values };
  },
  Reshape: (c) => {
    const v = c.value(0);
    const target = knownNumbers(c.value(1));
    if (!v || !target || target.length > 1) return undefined;
    if (target.length === 0) return v.values.length === 1 ? { dims: [], values: v.values } : undefined;
    return { dims: [v.values.length], values: v.values };
  },
  Add: arith('Add'),
  Sub: arith('Sub'),
  Mul: arith('Mul'),
  Div: arith('Div'),
  Max: arith('Max'),
  Min: arith('Min'),
  Equal: compare('Equal'),
  Greater: compare('Greater'),
  Less: compare('Less'),
  GreaterOrEqual: compare('GreaterOrEqual'),
  LessOrEqual: compare('LessOrEqual'),
  And: compare('And'),
  Or: compare('Or'),
  Not: unary((x) => (x ? 0 : 1)),
  Neg: (c) => {
    const v = c.value(0);
    if (!v) return undefined;
    return { dims: v.dims, values: v.values.map((x) => (typeof x === 'number' ? -x : null)) };
  },
  Abs: unary(Math.abs),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary(roundHalfEven),
  Where: (c) =>
    elementwise(c, 3, ([cond, a, b]) => {
      if (typeof cond !== 'number') return a === b ? a! : null;
      return cond ? a! : b!;
    }),
  ConstantOfShape: (c) => {
    const shape = knownNumbers(c.value(0));
    if (!shape || shape.length > 1) return undefined;
    const count = shape.length ? shape[0]! : 1;
    if (count > MAX_SYMBOLIC_ELEMENTS) return undefined;
    const t = attr(c.node, 'value');
    let fill = 0;
    if (t && t.type === 'tensor') {
      const vals = symFromTensor(t.value);
      if (!vals || typeof vals.values[0] !== 'number') return undefined;
      fill = vals.values[0];
    }
    return { dims: shape.length ? [count] : [], values: new Array<SymElem>(count).fill(fill) };
  },
  Range: (c) => {
    const [start, limit, delta] = [0, 1, 2].map((i) => knownNumbers(c.value(i))?.[0]);
    if (start === undefined || limit === undefined || delta === undefined || delta === 0) return undefined;
    const n = Math.max(Math.ceil((limit - start) / delta), 0);
    if (n > MAX_SYMBOLIC_ELEMENTS) return undefined;
    const out = c.outType(0);
    return { dims: [n], values: Array.from({ length: n }, (_, k) => roundForType(start + k * delta, out)) };
  },
  ReduceProd: reduceAll('ReduceProd'),
  ReduceSum: reduceAll('ReduceSum'),
  ReduceMax: reduceAll('ReduceMax'),
  ReduceMin: reduceAll('ReduceMin'),
};

/** The value of the node's first output, when it can be told. */
export function evalSymbolic(c: SymContext): SymTensor | undefined {
  if (c.node.domain !== '' && c.node.domain !== 'ai.onnx') return undefined;
  const op = OPS[c.node.opType];
  if (!op) return undefined;
  const v = op(c);
  if (!v || v.dims.length > 1 || v.values.length > MAX_SYMBOLIC_ELEMENTS) return undefined;
  return v;
}
