/** Ops that rearrange dims: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile, DepthToSpace, SpaceToDepth. */
import { attrInt, attrInts, type Dim } from '../ir.js';
import type { SymElem } from '../symbolic.js';
import { broadcastShapes, dimProduct, fmtShape, isNum, listArg, normAxis, type RuleContext, type ShapeRule } from './context.js';

/** A product of dims as number × symbols, or unknown. */
interface Factors {
  num: number;
  syms: string[];
  unknown: boolean;
}

function factor(dims: readonly Dim[]): Factors {
  const f: Factors = { num: 1, syms: [], unknown: false };
  for (const d of dims) {
    if (isNum(d)) f.num *= d;
    else if (d === null) f.unknown = true;
    else f.syms.push(d);
  }
  return f;
}

/** total / known, when it is a number or a lone symbol. */
function quotient(c: RuleContext, total: Factors, known: Factors, input: readonly Dim[], target: readonly SymElem[]): Dim {
  if (total.unknown || known.unknown || known.num === 0) return null;
  const rest = [...total.syms];
  for (const s of known.syms) {
    const k = rest.indexOf(s);
    if (k < 0) return null;
    rest.splice(k, 1);
  }
  if (total.num % known.num !== 0) {
    if (rest.length === 0) c.fail(`cannot reshape ${fmtShape(input)} to ${fmtShape(target)}: ${total.num} elements are not divisible by ${known.num}`);
    return null;
  }
  const q = total.num / known.num;
  if (rest.length === 0) return q;
  return rest.length === 1 && q === 1 ? rest[0]! : null;
}

const reshape: ShapeRule = (c) => {
  const x = c.input(0);
  const target = c.value(1);
  if (!target) {
    const s = c.input(1);
    if (s && s.shape.length === 1 && isNum(s.shape[0]!)) return x && [{ elemType: x.elemType, shape: new Array<Dim>(s.shape[0]).fill(null) }];
    return undefined;
  }
  if (!x) return undefined;
  const allowZero = attrInt(c.node, 'allowzero', 0) === 1;
  const out: Dim[] = [];
  let inferred = -1;
  target.values.forEach((v, i) => {
    if (v === -1) {
      if (inferred >= 0) c.fail(`target shape ${fmtShape(target.values)} has more than one -1`);
      inferred = i;
      out.push(null);
    } else if (v === 0 && !allowZero) {
      if (i >= x.shape.length) c.fail(`target shape ${fmtShape(target.values)} copies dimension ${i} (0) of a rank-${x.shape.length} input`);
      out.push(x.shape[i]!);
    } else if (typeof v === 'number' && v < 0) {
      c.fail(`target shape ${fmtShape(target.values)} has invalid entry ${v}`);
    } else {
      out.push(v);
    }
  });
  const total = factor(x.shape);
  if (inferred >= 0 && allowZero && target.values.includes(0)) c.fail(`target shape ${fmtShape(target.values)} combines -1 with a literal 0 (allowzero=1)`);
  if (inferred >= 0) {
    out[inferred] = quotient(c, total, factor(out.filter((_, i) => i !== inferred)), x.shape, target.values);
  } else {
    const known = factor(out);
    const sameSyms = [...total.syms].sort().join('\0') === [...known.syms].sort().join('\0');
    if (!total.unknown && !known.unknown && sameSyms && total.num !== known.num) {
      c.fail(`cannot reshape ${fmtShape(x.shape)} (${total.num}${total.syms.map((s) => `·${s}`).join('')} elements) to ${fmtShape(out)}`);
    }
  }
  return [{ elemType: x.elemType, shape: out }];
};

const flatten: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  let axis = attrInt(c.node, 'axis', 1);
  if (axis < -r || axis > r) c.fail(`axis ${axis} is out of range for rank ${r}`);
  if (axis < 0) axis += r;
  return [{ elemType: x.elemType, shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }];
};

const squeeze: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const axes = listArg(c, 1, 'axes');
  if (axes === null) return undefined;
  const r = x.shape.length;
  if (!axes) {
    // without axes every size-1 dim goes; a symbolic dim might be 1 at run time
    if (!x.shape.every(isNum)) return undefined;
    return [{ elemType: x.elemType, shape: x.shape.filter((d) => d !== 1) }];
  }
  const drop = new Set(axes.map((a) => normAxis(c, a, r)));
  for (const a of drop) {
    const d = x.shape[a]!;
    if (isNum(d) && d !== 1) c.fail(`cannot squeeze axis ${a} of size ${d}`);
  }
  return [{ elemType: x.elemType, shape: x.shape.filter((_, i) => !drop.has(i)) }];
};

const unsqueeze: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const axes = listArg(c, 1, 'axes');
  if (axes === null) return undefined;
  if (!axes) return c.fail(`axes are required`);
  const r = x.shape.length + axes.length;
  const ins = new Set(axes.map((a) => normAxis(c, a, r)));
  if (ins.size !== axes.length) c.fail(`axes ${fmtShape(axes)} repeat an axis`);
  const out: Dim[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ins.has(i) ? 1 : x.shape[k++]!);
  return [{ elemType: x.elemType, shape: out }];
};

const transpose: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const r = x.shape.length;
  const perm = attrInts(c.node, 'perm') ?? x.shape.map((_, i) => r - 1 - i);
  if (perm.length !== r || new Set(perm).size !== r || perm.some((p) => p < 0 || p >= r)) c.fail(`perm ${fmtShape(perm)} is not a permutation of ${r} axes`);
  return [{ elemType: x.elemType, shape: perm.map((p) => x.shape[p]!) }];
};

const expand: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const v = c.value(1);
  if (v) return [{ elemType: x.elemType, shape: broadcastShapes(c, [x.shape, v.values]) }];
  const s = c.input(1);
  if (s && s.shape.length === 1 && isNum(s.shape[0]!)) {
    return [{ elemType: x.elemType, shape: new Array<Dim>(Math.max(s.shape[0], x.shape.length)).fill(null) }];
  }
  return undefined;
};

const tile: ShapeRule = (c) => {
  const x = c.input(0);
  if (!x) return undefined;
  const v = c.value(1);
  if (!v) return [{ elemType: x.elemType, shape: x.shape.map(() => null) }];
  if (v.values.length !== x.shape.length) c.fail(`repeats ${fmtShape(v.values)} do not match rank ${x.shape.length}`);
  const shape = x.shape.map((d, i) => {
    const r = v.values[i]!;
    if (r === 1) return d;
    return isNum(d) && isNum(r) ? d * r : null;
  });
  return [{ elemType: x.elemType, shape }];
};

function blockRule(toDepth: boolean): ShapeRule {
  return (c) => {
    const x = c.input(0);
    if (!x) return undefined;
    if (x.shape.length !== 4) c.fail(`input must be 4-D`);
    const b = attrInt(c.node, 'blocksize', 0);
    if (b <= 0) c.fail(`blocksize must be positive`);
    const [n, ch, h, w] = x.shape as [Dim, Dim, Dim, Dim];
    const mul = (d: Dim, k: number) => (isNum(d) ? d * k : null);
    const div = (d: Dim, k: number) => {
      if (!isNum(d)) return null;
      if (d % k !== 0) c.fail(`dimension ${d} is not divisible by ${k}`);
      return d / k;
    };
    return [{ elemType: x.elemType, shape: toDepth ? [n, mul(ch, b * b), div(h, b), div(w, b)] : [n, div(ch, b * b), mul(h, b), mul(w, b)] }];
  };
}

export const reshapeRules: Record<string, ShapeRule> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
  DepthToSpace: blockRule(false),
  SpaceToDepth: blockRule(true),
};
