/**
 * Finds the structure plain CAM needs (Zhou et al. 2016): a feature map that feeds global average
 * pooling, then (after reshapes) one linear layer producing the logits. Returns that layer's weights
 * as w[k, class], or says exactly what stands in the way.
 */
import { fail } from '../errors.js';
import { GraphIndex } from '../onnx/graph.js';
import { attr, attrFloat, attrInt, attrInts, type Node, type Tensor } from '../onnx/ir.js';
import { tensorValues } from '../onnx/tensor.js';
import type { ImageModel } from './image-model.js';

export interface LinearHead {
  /** [channels * units], row-major w[k * units + c] */
  readonly weights: Float64Array;
  readonly channels: number;
  readonly units: number;
}

const PASS_THROUGH = new Set(['Flatten', 'Reshape', 'Squeeze', 'Identity', 'Dropout']);

function describe(n: Node): string {
  return `${n.opType} '${n.name || n.outputs[0]}'`;
}

export function linearHeadAfter(model: ImageModel, layer: string): LinearHead {
  const index = new GraphIndex(model.onnx.graph);
  const why = (what: string): never =>
    fail('USAGE', `cam needs '${layer}' to feed global average pooling and then one linear layer that gives the logits (Zhou et al. 2016); ${what}. Use gradcam, which needs no such structure.`);
  const only = (t: string): Node => {
    const uses = index.consumers.get(t) ?? [];
    if (uses.length !== 1) why(`'${t}' is read by ${uses.length} nodes`);
    return uses[0]!.node;
  };
  const shape = model.shapes.get(layer)?.shape;
  const channels = shape?.[1];
  if (shape?.length !== 4 || typeof channels !== 'number') return why(`'${layer}' is not a 4-D feature map of known channel count`);

  const pool = only(layer);
  const spatial = [shape[2], shape[3]];
  const isGap =
    pool.opType === 'GlobalAveragePool' ||
    (pool.opType === 'ReduceMean' && sameSet(reduceAxes(pool, index), [2, 3, -1, -2])) ||
    (pool.opType === 'AveragePool' && sameList(attrInts(pool, 'kernel_shape') ?? [], spatial) && !(attrInts(pool, 'pads') ?? []).some((p) => p !== 0));
  if (!isGap) return why(`it feeds ${describe(pool)}`);
  let t = pool.outputs[0]!;
  let n = only(t);
  while (PASS_THROUGH.has(n.opType)) {
    t = n.outputs[0]!;
    n = only(t);
  }
  const constant = (name: string | undefined): Tensor | undefined => (name ? index.initializer.get(name) ?? constantNode(index, name) : undefined);
  let w: number[];
  let transposed = false;
  let scale = 1;
  if (n.opType === 'Gemm') {
    const b = constant(n.inputs[1]);
    if (!b || attrInt(n, 'transA', 0) !== 0) return why(`${describe(n)} does not multiply by a constant weight matrix`);
    w = tensorValues(b);
    transposed = attrInt(n, 'transB', 0) === 1;
    scale = attrFloat(n, 'alpha', 1);
  } else if (n.opType === 'MatMul') {
    const b = constant(n.inputs[1]);
    if (!b || b.dims.length !== 2) return why(`${describe(n)} does not multiply by a constant weight matrix`);
    w = tensorValues(b);
  } else {
    return why(`after pooling comes ${describe(n)}, not a linear layer`);
  }
  let out = n.outputs[0]!;
  // a bias Add, then Identity nodes, may follow before the logits
  for (let hops = 0; hops < 4 && out !== model.output.logits; hops++) {
    const next = only(out);
    if (next.opType === 'Add' && (constant(next.inputs[1]) || constant(next.inputs[0]))) out = next.outputs[0]!;
    else if (next.opType === 'Identity') out = next.outputs[0]!;
    else break;
  }
  if (out !== model.output.logits) return why(`the linear layer's output '${n.outputs[0]}' is not the logits '${model.output.logits}' (more layers follow)`);
  const units = w.length / channels;
  if (!Number.isInteger(units)) return why(`its weight matrix does not have ${channels} rows`);
  const weights = new Float64Array(channels * units);
  for (let k = 0; k < channels; k++) for (let c = 0; c < units; c++) weights[k * units + c] = scale * (transposed ? w[c * channels + k]! : w[k * units + c]!);
  return { weights, channels, units };
}

function constantNode(index: GraphIndex, name: string): Tensor | undefined {
  const p = index.producer.get(name)?.node;
  if (p?.opType !== 'Constant') return undefined;
  const a = attr(p, 'value');
  return a?.type === 'tensor' ? a.value : undefined;
}

function reduceAxes(n: Node, index: GraphIndex): number[] {
  const fromAttr = attrInts(n, 'axes');
  if (fromAttr) return [...fromAttr];
  const t = n.inputs[1] ? index.initializer.get(n.inputs[1]) ?? constantNode(index, n.inputs[1]) : undefined;
  return t ? tensorValues(t) : [];
}

function sameSet(axes: number[], allowed: number[]): boolean {
  return axes.length === 2 && axes.every((a) => allowed.includes(a)) && new Set(axes.map((a) => (a < 0 ? a + 4 : a))).size === 2;
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
