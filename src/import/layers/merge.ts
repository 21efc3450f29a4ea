/** Merge layers: Add, Subtract, Multiply, Average, Concatenate (axis -1 of a 4-D tensor is the channel axis). */
import { attrs } from '../../onnx/graph.js';
import type { Value } from '../builder.js';
import { graphAxis, malformed, num, tmp, unsupported, type LayerCall, type LayerConverter } from './common.js';

function sameShapes(call: LayerCall, min: number): readonly Value[] {
  const xs = call.inputs;
  if (xs.length < min) malformed(call, `expected at least ${min} inputs, got ${xs.length}`);
  const s0 = xs[0]!.shape;
  for (const x of xs) {
    if (x.shape.length !== s0.length) unsupported(call, `inputs of different ranks (${xs.map((v) => v.shape.length + 1).join(', ')}); merge inputs must have the same rank`);
    if (x.shape.some((d, i) => d !== null && s0[i] !== null && d !== s0[i])) {
      unsupported(call, `inputs of shapes ${xs.map((v) => `[${v.shape.join(', ')}]`).join(', ')} (broadcasting merges are not supported)`);
    }
  }
  return xs;
}

/** Folds a binary op over the inputs; the last node writes `out`. */
function chain(call: LayerCall, opType: string, names: readonly string[], out: string): string {
  let acc = names[0]!;
  for (let i = 1; i < names.length; i++) acc = call.b.op(opType, [acc, names[i]!], [], i === names.length - 1 ? out : tmp(call, opType.toLowerCase()));
  return acc;
}

const add: LayerConverter = (call) => {
  const xs = sameShapes(call, 2);
  chain(call, 'Add', xs.map((x) => x.name), call.out);
  return { name: call.out, shape: xs[0]!.shape };
};

const subtract: LayerConverter = (call) => {
  const xs = sameShapes(call, 2);
  if (xs.length !== 2) malformed(call, `Subtract takes exactly 2 inputs, got ${xs.length}`);
  call.b.op('Sub', [xs[0]!.name, xs[1]!.name], [], call.out);
  return { name: call.out, shape: xs[0]!.shape };
};

const multiply: LayerConverter = (call) => {
  const xs = sameShapes(call, 2);
  chain(call, 'Mul', xs.map((x) => x.name), call.out);
  return { name: call.out, shape: xs[0]!.shape };
};

const average: LayerConverter = (call) => {
  const xs = sameShapes(call, 2);
  const sum = chain(call, 'Add', xs.map((x) => x.name), call.b.fresh(`${call.out}/sum`));
  call.b.op('Div', [sum, call.b.floats(`${call.out}/count`, [], [xs.length])], [], call.out);
  return { name: call.out, shape: xs[0]!.shape };
};

const concatenate: LayerConverter = (call) => {
  const xs = call.inputs;
  if (xs.length < 1) malformed(call, 'expected at least 1 input');
  const rank = xs[0]!.shape.length + 1;
  const axis = num(call, 'axis', -1);
  const k = axis < 0 ? axis + rank : axis;
  if (xs.some((x) => x.shape.length + 1 !== rank)) malformed(call, 'inputs of different ranks');
  if (k < 1 || k >= rank) malformed(call, `axis ${axis} is out of range for rank-${rank} inputs`);
  const shape = xs[0]!.shape.map((d, i) => {
    if (i !== k - 1) return d;
    return xs.some((x) => x.shape[i] === null) ? null : xs.reduce((a, x) => a + (x.shape[i] as number), 0);
  });
  call.b.op('Concat', xs.map((x) => x.name), [attrs.int('axis', graphAxis(call, xs[0]!, axis))], call.out);
  return { name: call.out, shape };
};

export const mergeLayers: Readonly<Record<string, LayerConverter>> = {
  Add: add,
  Subtract: subtract,
  Multiply: multiply,
  Average: average,
  Concatenate: concatenate,
};
