/**
 * The small graph builder the Keras converter emits ONNX nodes with, and the `Value` it passes
 * between layers: a tensor name plus its Keras shape. 4-D values live in the graph as NCHW; every
 * other rank keeps Keras's own layout.
 */
import type { Attribute, Node, Tensor } from '../onnx/ir.js';
import { floatTensor, int64Tensor } from '../onnx/tensor.js';

/** A layer output: its tensor and its Keras shape without the batch axis (null = unknown size). */
export interface Value {
  readonly name: string;
  readonly shape: readonly (number | null)[];
  /** true for the model input itself (before any layer touched it) */
  readonly isInput?: boolean;
}

/** True when the value is a 4-D tensor, stored as NCHW in the graph. */
export const isImage = (v: Value): boolean => v.shape.length === 3;

/** Keras [H, W, C] → graph [C, H, W] for 4-D values; other shapes as they are. */
export function graphShape(shape: readonly (number | null)[]): (number | null)[] {
  return shape.length === 3 ? [shape[2]!, shape[0]!, shape[1]!] : [...shape];
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  private readonly used = new Set<string>();
  private counter = 0;

  isUsed(name: string): boolean {
    return this.used.has(name);
  }

  /** Marks a name as taken (the caller guarantees it is free). */
  claim(name: string): string {
    this.used.add(name);
    return name;
  }

  /** `base` if free, else `base_1`, `base_2`, ... */
  fresh(base: string): string {
    let name = base;
    while (this.used.has(name)) name = `${base}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  /** Adds one node; its output is `output` (already claimed) or a fresh name derived from `base`. */
  op(opType: string, inputs: readonly string[], attributes: readonly Attribute[], output: string | { base: string }): string {
    const out = typeof output === 'string' ? output : this.fresh(output.base);
    this.nodes.push({ name: this.fresh(`${out}/${opType}`), opType, domain: '', inputs: [...inputs], outputs: [out], attributes: [...attributes] });
    return out;
  }

  floats(base: string, dims: readonly number[], data: ArrayLike<number>): string {
    const name = this.fresh(base);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  ints(base: string, data: readonly number[]): string {
    const name = this.fresh(base);
    this.initializers.push(int64Tensor(name, [data.length], data));
    return name;
  }
}

/** Reorders a row-major array: output axis i is input axis perm[i]. */
export function permuteArray(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) inStrides[i] = inStrides[i + 1]! * shape[i + 1]!;
  const stridesByOut = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < rank; i++) src += idx[i]! * stridesByOut[i]!;
    out[o] = data[src]!;
    for (let i = rank - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}
