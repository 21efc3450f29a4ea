/**
 * Raises a model's default-domain opset so the ops cnnlens emits (opset ≥ 13 forms: ReduceSum,
 * Squeeze and Unsqueeze with axes as inputs; ScatterElements with reduction='add' from 16) can be
 * added to it, rewriting the existing ops whose signature or meaning changed on the way:
 *
 * - 13: Squeeze, Unsqueeze, ReduceSum take axes as an input and Split its sizes as an input;
 *   Softmax, LogSoftmax and Hardmax no longer coerce the input to 2-D at `axis` (default 1) but
 *   work along one axis (default -1).
 * - 12: Dropout takes its ratio as an input.
 * - 14: BatchNormalization has only the Y output outside training mode (before: up to 5 outputs).
 * - 16: RoiAlign's default coordinate_transformation_mode became 'half_pixel' (before it behaved as
 *   'output_half_pixel').
 * - 18: every Reduce* op takes axes as an input; Split needs `num_outputs` when sizes are not given.
 *
 * Other version bumps in 13..18 (Relu 14, BatchNormalization 15, Where 16, Pad 18 `axes`, Resize 18
 * `antialias`/`axes`, ...) add types or optional features and need no rewriting. Resize's
 * 'tf_half_pixel_for_nn' mode left the spec at 13; ONNX Runtime still runs it (with a warning).
 */
import { CnnlensError, fail } from '../errors.js';
import { GraphEditor, attrs, withGraph } from './graph.js';
import { attr, attrFloat, attrInt, attrInts, defaultOpset, type Attribute, type Graph, type Model, type Node } from './ir.js';
import { inferShapes } from './shapes.js';
import { floatTensor, int64Tensor } from './tensor.js';

const REDUCE_OPS = new Set([
  'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum',
  'ReduceLogSumExp', 'ReduceSumSquare',
]);
const SOFTMAX_OPS = new Set(['Softmax', 'LogSoftmax', 'Hardmax']);

interface Upgrade {
  readonly from: number;
  readonly to: number;
  /** ranks of tensors, where known (for the Softmax rewrite) */
  readonly rank: (name: string) => number | undefined;
  /** tensors read by a graph output or some node (for trimming BatchNormalization outputs) */
  readonly used: ReadonlySet<string>;
}

const crosses = (u: Upgrade, v: number) => u.from < v && u.to >= v;
const without = (n: Node, ...names: string[]) => n.attributes.filter((a) => !names.includes(a.name));

function nodeBase(n: Node): string {
  return n.name || n.outputs[0] || n.opType;
}

/** Moves an int-list attribute to input `slot` as an int64 initializer. */
function attrToInput(ed: GraphEditor, n: Node, attrName: string, slot: number): Node {
  const v = attrInts(n, attrName);
  if (!v) return n;
  const name = ed.constant(int64Tensor(`${nodeBase(n)}/${attrName}`, [v.length], v));
  const inputs = [...n.inputs];
  while (inputs.length < slot) inputs.push('');
  inputs[slot] = name;
  return { ...n, inputs, attributes: without(n, attrName) };
}

/** Softmax ≤ 12 on a 2-D view of the input at `axis`, in the opset 13 vocabulary. */
function upgradeSoftmax(ed: GraphEditor, n: Node, u: Upgrade): Node[] {
  const x = n.inputs[0]!;
  const axis = attrInt(n, 'axis', 1);
  const r = u.rank(x);
  const last = r !== undefined && (axis === r - 1 || axis === -1);
  if (last) return [{ ...n, attributes: [...without(n, 'axis'), attrs.int('axis', -1)] }];
  const base = nodeBase(n);
  const flat = ed.fresh(`${base}/flat`);
  const soft = ed.fresh(`${base}/2d`);
  const shape = ed.fresh(`${base}/shape`);
  const mk = (opType: string, inputs: string[], outputs: string[], attributes: Attribute[], name: string): Node => ({
    name, opType, domain: '', inputs, outputs, attributes,
  });
  return [
    mk('Flatten', [x], [flat], [attrs.int('axis', axis)], ed.fresh(`${base}/flatten`)),
    { ...n, inputs: [flat], outputs: [soft], attributes: [...without(n, 'axis'), attrs.int('axis', 1)] },
    mk('Shape', [x], [shape], [], ed.fresh(`${base}/shape_of_input`)),
    mk('Reshape', [soft, shape], [...n.outputs], [], ed.fresh(`${base}/restore_shape`)),
  ];
}

function upgradeNode(ed: GraphEditor, n: Node, u: Upgrade): Node[] {
  if (n.domain !== '' && n.domain !== 'ai.onnx') return [n];
  let node = upgradeSubgraphs(n, u);
  const op = node.opType;
  if (crosses(u, 12) && op === 'Dropout' && attr(node, 'ratio')) {
    const ratio = ed.constant(floatTensor(`${nodeBase(node)}/ratio`, [], [attrFloat(node, 'ratio', 0.5)]));
    node = { ...node, inputs: [node.inputs[0]!, ratio], attributes: without(node, 'ratio') };
  }
  if (crosses(u, 13)) {
    if (op === 'Squeeze' || op === 'Unsqueeze' || op === 'ReduceSum') node = attrToInput(ed, node, 'axes', 1);
    if (op === 'Split') node = attrToInput(ed, node, 'split', 1);
    if (SOFTMAX_OPS.has(op)) return upgradeSoftmax(ed, node, u);
  }
  if (crosses(u, 14) && op === 'BatchNormalization' && node.outputs.length > 1) {
    const extra = node.outputs.slice(1).filter((o) => o && u.used.has(o));
    if (extra.length) {
      fail('ONNX_UNSUPPORTED', `BatchNormalization node '${nodeBase(node)}' uses its training-mode outputs (${extra.join(', ')}); cnnlens explains models in inference mode. Export the model in eval mode (model.eval() before torch.onnx.export).`);
    }
    node = { ...node, outputs: node.outputs.slice(0, 1) };
  }
  if (crosses(u, 16) && op === 'RoiAlign' && !attr(node, 'coordinate_transformation_mode')) {
    node = { ...node, attributes: [...node.attributes, attrs.string('coordinate_transformation_mode', 'output_half_pixel')] };
  }
  if (crosses(u, 18)) {
    if (REDUCE_OPS.has(op)) node = attrToInput(ed, node, 'axes', 1);
    if (op === 'Split' && !node.inputs[1] && !attr(node, 'num_outputs')) {
      node = { ...node, attributes: [...node.attributes, attrs.int('num_outputs', node.outputs.length)] };
    }
  }
  return [node];
}

function upgradeGraph(g: Graph, u: Upgrade): Graph {
  const ed = new GraphEditor(g);
  const nodes: Node[] = [];
  for (const n of g.nodes) nodes.push(...upgradeNode(ed, n, u));
  ed.nodes = nodes;
  return ed.build();
}

/** If/Loop/Scan bodies share the model's opset, so they are upgraded too (ranks unknown there). */
function upgradeSubgraphs(n: Node, u: Upgrade): Node {
  if (!n.attributes.some((a) => a.type === 'graph' || a.type === 'graphs')) return n;
  const inner: Upgrade = { ...u, rank: () => undefined };
  const attributes = n.attributes.map((a): Attribute => {
    if (a.type === 'graph') return { ...a, value: upgradeGraph(a.value, withUses(inner, a.value)) };
    if (a.type === 'graphs') return { ...a, value: a.value.map((sg) => upgradeGraph(sg, withUses(inner, sg))) };
    return a;
  });
  return { ...n, attributes };
}

function usedNames(graphs: readonly Graph[]): Set<string> {
  const s = new Set<string>();
  const visit = (g: Graph) => {
    for (const o of g.outputs) s.add(o.name);
    for (const n of g.nodes) {
      for (const i of n.inputs) if (i) s.add(i);
      for (const a of n.attributes) {
        if (a.type === 'graph') visit(a.value);
        if (a.type === 'graphs') a.value.forEach(visit);
      }
    }
  };
  graphs.forEach(visit);
  return s;
}

function withUses(u: Upgrade, g: Graph): Upgrade {
  return { ...u, used: new Set([...u.used, ...usedNames([g])]) };
}

function ranksOf(model: Model): (name: string) => number | undefined {
  try {
    const shapes = inferShapes(model);
    return (name) => shapes.get(name)?.shape.length;
  } catch (e) {
    // without shapes every old-style Softmax gets the (always correct) 2-D rewrite
    if (e instanceof CnnlensError && (e.code === 'SHAPE' || e.code === 'INPUT_SHAPE')) return () => undefined;
    throw e;
  }
}

/**
 * A new model whose default-domain opset is max(target, current), with the ops whose meaning
 * changed in between rewritten. Models below opset 11 are refused.
 */
export function normalizeOpset(model: Model, target = 16): Model {
  const from = defaultOpset(model);
  if (from < 11) {
    const what = from === 0 ? 'declares no default-domain ONNX opset' : `uses ONNX opset ${from}`;
    fail('ONNX_UNSUPPORTED', `the model ${what}; cnnlens needs opset 11 or newer. Re-export it with a newer opset, e.g. torch.onnx.export(..., opset_version=13) or python -m tf2onnx.convert ... --opset 13.`);
  }
  const to = Math.max(target, from);
  if (to === from) return withGraph(model, model.graph, to);
  const needsRanks = from < 13 && to >= 13 && usesSoftmax(model.graph);
  const u: Upgrade = { from, to, rank: needsRanks ? ranksOf(model) : () => undefined, used: usedNames([model.graph]) };
  return withGraph(model, upgradeGraph(model.graph, u), to);
}

function usesSoftmax(g: Graph): boolean {
  return g.nodes.some((n) => SOFTMAX_OPS.has(n.opType) || n.attributes.some((a) => (a.type === 'graph' && usesSoftmax(a.value)) || (a.type === 'graphs' && a.value.some(usesSoftmax))));
}
