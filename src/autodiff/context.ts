/**
 * What a backward rule sees: the forward node, the gradients flowing into its outputs, static shapes,
 * and a small vocabulary for emitting ONNX nodes (opset >= 16 forms: ReduceSum/Unsqueeze take axes
 * as inputs).
 */
import { fail } from '../errors.js';
import { GraphEditor, attrs } from '../onnx/graph.js';
import { DType, type Attribute, type Dim, type Node, type Tensor } from '../onnx/ir.js';
import { int64Tensor, realTensor, tensorValues } from '../onnx/tensor.js';
import type { ShapeInfo } from '../onnx/shapes.js';

/** Returns one gradient name per forward input (undefined where no gradient is needed or it is zero). */
export type BackwardRule = (ctx: RuleContext) => (string | undefined)[];

export type RuleTable = Readonly<Record<string, BackwardRule>>;

/** Options that pick between equivalent backward forms (chosen for speed, never for different values). */
export interface BackwardForms {
  /**
   * How Conv's input gradient is emitted: 'transpose' (ConvTranspose with the same weights), 'conv'
   * (Conv with spatially flipped, transposed weights on the zero-inserted gradient) or 'auto'
   * (the conv form for depthwise and stride-1 spatial convolutions, a MatMul for pointwise 1x1
   * convolutions, ConvTranspose otherwise; chosen by measurement on common CNNs).
   */
  conv: 'auto' | 'transpose' | 'conv';
  /**
   * How a boolean mask is applied to a gradient: 'where' (Where(mask, g, 0)) or 'multiply'
   * (g * Cast(mask)), which ONNX Runtime runs faster on large tensors.
   */
  mask: 'where' | 'multiply';
}

export class RuleContext {
  constructor(
    readonly node: Node,
    readonly nodeIndex: number,
    private readonly ed: GraphEditor,
    private readonly shapes: Map<string, ShapeInfo>,
    private readonly constants: Map<string, Tensor>,
    private readonly onPath: (name: string) => boolean,
    private readonly outputGrads: (string | undefined)[],
    private readonly shapeCache: Map<string, string>,
    readonly forms: BackwardForms,
  ) {}

  get label(): string {
    return `${this.node.opType} node '${this.node.name || this.node.outputs[0]}'`;
  }

  /** Does input `i` need a gradient (is it on the path between the wrt tensors and the seeded outputs)? */
  needs(i: number): boolean {
    const name = this.node.inputs[i];
    return !!name && this.onPath(name);
  }

  /** Fails when a gradient is needed for an input this rule cannot differentiate (e.g. a weight computed from the input). */
  refuse(i: number, what: string): void {
    if (this.needs(i)) fail('NO_GRADIENT_RULE', `Error in ${this.label}: ${what} lies on the differentiated path, and cnnlens only differentiates it as a constant.`);
  }

  /** The gradient flowing into output `i`, or undefined when it is zero. */
  grad(i = 0): string | undefined {
    return this.outputGrads[i];
  }

  /** The gradient into output 0; rules with one output can rely on it being present. */
  get dY(): string {
    const g = this.outputGrads[0];
    if (!g) fail('NO_GRADIENT_RULE', `Error in ${this.label}: internal error, no gradient for output 0.`);
    return g;
  }

  input(i: number): string {
    return this.node.inputs[i] ?? '';
  }

  output(i = 0): string {
    return this.node.outputs[i] ?? '';
  }

  info(name: string): ShapeInfo {
    const s = this.shapes.get(name);
    if (!s) fail('SHAPE', `Error in ${this.label}: the shape of '${name}' is unknown, so its gradient cannot be built. Give the input size explicitly.`);
    return s;
  }

  shape(name: string): Dim[] {
    return this.info(name).shape;
  }

  rank(name: string): number {
    return this.shape(name).length;
  }

  /** The static size of `name` along `axis`; fails if it is symbolic. */
  dim(name: string, axis: number): number {
    const s = this.shape(name);
    const d = s[axis < 0 ? axis + s.length : axis];
    if (typeof d !== 'number') fail('SHAPE', `Error in ${this.label}: dimension ${axis} of '${name}' must be static, got '${d}'.`);
    return d;
  }

  /**
   * The element type of a tensor. Tensors emitted by the backward pass have no inferred shape; they
   * carry the float type of the forward node they belong to.
   */
  /** The static spatial sizes (the axes after batch and channels) of `name`. */
  spatial(name: string): number[] {
    return this.shape(name).slice(2).map((_, i) => this.dim(name, i + 2));
  }

  elemType(name: string): number {
    const known = this.shapes.get(name);
    if (known) return known.elemType;
    const fwd = this.shapes.get(this.node.outputs[0] ?? '') ?? this.shapes.get(this.node.inputs[0] ?? '');
    return fwd?.elemType ?? DType.FLOAT;
  }

  /** The value of a constant input (initializer or Constant node), or undefined. */
  constValue(name: string): number[] | undefined {
    const t = this.constants.get(name);
    return t ? tensorValues(t) : undefined;
  }

  constTensor(name: string): Tensor | undefined {
    return this.constants.get(name);
  }

  /**
   * The forward node's optional output `slot` (e.g. MaxPool's Indices), adding it to the forward node
   * in the new graph when the model did not request it.
   */
  ensureOutput(slot: number, base: string): string {
    const existing = this.ed.nodes[this.nodeIndex]!;
    const have = existing.outputs[slot];
    if (have) return have;
    const outputs = [...existing.outputs];
    while (outputs.length < slot) outputs.push('');
    outputs[slot] = this.ed.fresh(base);
    this.ed.replaceNode(this.nodeIndex, { ...existing, outputs });
    return outputs[slot]!;
  }

  // ------------------------------------------------------------------------------------- emission

  op(opType: string, inputs: readonly string[], attributes?: readonly Attribute[]): string {
    return this.ed.op(opType, inputs, attributes, `grad/${opType}`);
  }

  ops(opType: string, inputs: readonly string[], nOutputs: number, attributes?: readonly Attribute[]): string[] {
    return this.ed.add({ opType, inputs, nOutputs, name: `grad/${opType}`, ...(attributes ? { attributes } : {}) });
  }

  /** A scalar constant with the element type of `like`. */
  scalar(value: number, like: string): string {
    return this.ed.constant(realTensor('c', this.elemType(like), [], [value]));
  }

  /** A constant tensor with the element type of `like`. */
  tensor(dims: readonly number[], values: ArrayLike<number>, like: string): string {
    return this.ed.constant(realTensor('c', this.elemType(like), dims, values));
  }

  ints(values: readonly number[]): string {
    return this.ed.constant(int64Tensor('axes', [values.length], values));
  }

  /** Makes `t` part of the graph (for tensors built outside the context, e.g. flipped weights). */
  constant(t: Tensor): string {
    return this.ed.constant(t);
  }

  /** Shape(x), emitted once per tensor. */
  shapeOf(x: string): string {
    let s = this.shapeCache.get(x);
    if (!s) {
      s = this.op('Shape', [x]);
      this.shapeCache.set(x, s);
    }
    return s;
  }

  mul(a: string, b: string): string { return this.op('Mul', [a, b]); }
  add(a: string, b: string): string { return this.op('Add', [a, b]); }
  sub(a: string, b: string): string { return this.op('Sub', [a, b]); }
  div(a: string, b: string): string { return this.op('Div', [a, b]); }
  neg(a: string): string { return this.op('Neg', [a]); }
  where(c: string, a: string, b: string): string { return this.op('Where', [c, a, b]); }

  /** x * c for a number c (no node when c is 1). */
  scale(x: string, c: number): string {
    return c === 1 ? x : this.mul(x, this.scalar(c, x));
  }

  reshapeLike(x: string, like: string): string {
    return this.op('Reshape', [x, this.shapeOf(like)]);
  }

  expandLike(x: string, like: string): string {
    return this.op('Expand', [x, this.shapeOf(like)]);
  }

  zerosLike(like: string): string {
    const value = realTensor('value', this.elemType(like), [1], [0]);
    return this.op('ConstantOfShape', [this.shapeOf(like)], [attrs.tensor('value', value)]);
  }

  sum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.op('ReduceSum', [x, this.ints(axes)], [attrs.int('keepdims', keepdims ? 1 : 0)]);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return axes.length ? this.op('Unsqueeze', [x, this.ints(axes)]) : x;
  }

  transpose(x: string, perm: readonly number[]): string {
    return this.op('Transpose', [x], [attrs.ints('perm', perm)]);
  }

  /**
   * Sums a gradient of (broadcast) shape `from` down to the shape of tensor `to` — the adjoint of
   * numpy-style broadcasting.
   */
  unbroadcast(g: string, from: readonly Dim[], to: string): string {
    const target = this.shape(to);
    const lead = from.length - target.length;
    let out = g;
    if (lead > 0) out = this.sum(out, [...Array(lead).keys()], false);
    const axes: number[] = [];
    target.forEach((d, i) => {
      const f = from[i + lead];
      if (d === 1 && f !== 1) axes.push(i);
    });
    return this.sum(out, axes, true);
  }

  /** Boolean mask of x > c (for a number c). */
  greaterThan(x: string, c: number): string {
    return this.op('Greater', [x, this.scalar(c, x)]);
  }

  lessThan(x: string, c: number): string {
    return this.op('Less', [x, this.scalar(c, x)]);
  }

  /** g where mask, else 0. */
  masked(mask: string, g: string): string {
    if (this.forms.mask === 'where') return this.where(mask, g, this.scalar(0, g));
    return this.mul(g, this.op('Cast', [mask], [attrs.int('to', this.elemType(g))]));
  }
}
