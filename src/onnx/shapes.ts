/**
 * Static shape inference for a given input size with a symbolic batch dimension. Every tensor of
 * the graph whose shape can be told gets an entry: graph inputs, initializers, node outputs.
 * Ops without a rule (or whose inputs lack shapes) get no entry; shapes that genuinely disagree
 * throw a SHAPE error naming the node.
 */
import { fail, listForMessage } from '../errors.js';
import { topologicalNodes } from './graph.js';
import { defaultOpset, type Dim, type Model } from './ir.js';
import { SHAPE_RULES } from './shape-rules/index.js';
import { fmtShape, makeContext, type ShapeInfo } from './shape-rules/context.js';
import { evalSymbolic, symFromTensor, type SymTensor } from './symbolic.js';

export type { ShapeInfo } from './shape-rules/context.js';

/** The symbol an unknown leading (batch) dimension of a graph input gets. */
export const BATCH_SYMBOL = 'N';

export interface ShapeAnalysis {
  /** element type and shape of every tensor whose shape is known */
  readonly shapes: Map<string, ShapeInfo>;
  /** values of small 0-D/1-D tensors that are known (numbers or dimension symbols) */
  readonly values: Map<string, SymTensor>;
}

function inputShape(name: string, declared: readonly Dim[] | undefined, given: readonly Dim[] | undefined): Dim[] | undefined {
  if (given && declared) {
    if (given.length !== declared.length) {
      fail('INPUT_SHAPE', `input '${name}' has rank ${declared.length} ${fmtShape(declared)}, but the shape given for it is ${fmtShape(given)}.`);
    }
    declared.forEach((d, i) => {
      const g = given[i];
      if (typeof d === 'number' && typeof g === 'number' && d !== g) {
        fail('INPUT_SHAPE', `input '${name}' is declared ${fmtShape(declared)}; dimension ${i} is fixed at ${d}, but the shape given is ${fmtShape(given)}.`);
      }
    });
  }
  const s = given ?? declared;
  if (!s) return undefined;
  return s.map((d, i) => (d === null && i === 0 ? BATCH_SYMBOL : d));
}

/** Shapes and known small values of every tensor it can tell. */
export function analyzeShapes(model: Model, inputShapes?: Readonly<Record<string, readonly Dim[]>>): ShapeAnalysis {
  const g = model.graph;
  const opset = defaultOpset(model);
  const shapes = new Map<string, ShapeInfo>();
  const values = new Map<string, SymTensor>();

  if (inputShapes) {
    const names = new Set(g.inputs.map((v) => v.name));
    for (const k of Object.keys(inputShapes)) {
      if (!names.has(k)) fail('TENSOR_NOT_FOUND', `a shape was given for '${k}', which is not an input of the model; its inputs are ${listForMessage([...names])}.`);
    }
  }
  for (const t of g.initializers) {
    shapes.set(t.name, { elemType: t.dataType, shape: [...t.dims] });
    const v = symFromTensor(t);
    if (v) values.set(t.name, v);
  }
  for (const vi of g.inputs) {
    const given = inputShapes?.[vi.name];
    if (!given && shapes.has(vi.name)) continue; // an initializer listed as an input
    const shape = inputShape(vi.name, vi.type?.shape, given);
    if (!shape) continue;
    shapes.set(vi.name, { elemType: vi.type?.elemType ?? shapes.get(vi.name)?.elemType ?? 1, shape });
    values.delete(vi.name);
  }

  const lookup = (n: string) => shapes.get(n);
  const valueOf = (n: string) => values.get(n);
  for (const node of topologicalNodes(g)) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') continue;
    const rule = SHAPE_RULES[node.opType];
    if (!rule) continue;
    const outs = rule(makeContext(node, opset, lookup, valueOf));
    if (!outs) continue;
    node.outputs.forEach((o, i) => {
      const s = outs[i];
      if (o && s) shapes.set(o, s);
    });
    const out = node.outputs[0];
    if (!out) continue;
    const v = evalSymbolic({
      node,
      opset,
      value: (i) => (node.inputs[i] ? values.get(node.inputs[i]!) : undefined),
      shape: (i) => (node.inputs[i] ? shapes.get(node.inputs[i]!)?.shape : undefined),
      elemType: (i) => (node.inputs[i] ? shapes.get(node.inputs[i]!)?.elemType : undefined),
      outType: (i) => (node.outputs[i] ? shapes.get(node.outputs[i]!)?.elemType : undefined),
    });
    if (v) values.set(out, v);
  }
  return { shapes, values };
}

/**
 * Element type and shape of every tensor whose shape can be told, for the given input shapes
 * (default: the declared ones). An unknown leading dimension becomes the batch symbol 'N'; symbolic
 * dims stay symbols wherever the result provably equals them; null marks an unknown dim.
 */
export function inferShapes(model: Model, inputShapes?: Readonly<Record<string, readonly Dim[]>>): Map<string, ShapeInfo> {
  return analyzeShapes(model, inputShapes).shapes;
}
