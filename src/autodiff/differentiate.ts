/**
 * Reverse-mode automatic differentiation as a graph transformation.
 *
 * Given a model, the outputs to seed and the tensors to differentiate with respect to, this returns a
 * new model that computes everything the original did plus, for each seeded output o, a new input
 * `seed:o` (the vector in the vector-Jacobian product) and, for each wrt tensor t, a new output
 * `grad:t` = sum over seeded outputs of seed:o . d o / d t. Only nodes on a path from a wrt tensor to a
 * seeded output are differentiated; weight gradients are never built. The input model is not changed.
 */
import { fail, listForMessage } from '../errors.js';
import { GraphEditor, GraphIndex, withGraph } from '../onnx/graph.js';
import { DType, attr, defaultOpset, type Dim, type Model, type Node, type Tensor, type ValueInfo } from '../onnx/ir.js';
import { foldShapeComputations } from '../onnx/fold.js';
import { normalizeOpset } from '../onnx/opset.js';
import { inferShapes, type ShapeInfo } from '../onnx/shapes.js';
import { foldBatchNorm } from './fold-batchnorm.js';
import { RuleContext, type BackwardForms, type RuleTable } from './context.js';
import { ruleSet, type RuleSetName } from './rulesets.js';

export interface DifferentiateOptions {
  /** Tensors to differentiate with respect to: graph inputs or any intermediate tensor. */
  wrt: readonly string[];
  /** Outputs (or any float tensors) to seed; default: the first graph output. */
  seeds?: readonly string[];
  /** Intermediate tensors to add as outputs of the new graph. */
  expose?: readonly string[];
  /** Backward rules: a named rule set or overrides merged over the standard rules. Default 'standard'. */
  rules?: RuleSetName | RuleTable;
  /** Shapes for the graph inputs (e.g. { input: ['N', 3, 224, 224] }); default: the declared shapes. */
  inputShapes?: Readonly<Record<string, readonly Dim[]>>;
  /** Equivalent backward forms to emit (speed only). Default { conv: 'auto', mask: 'multiply' }. */
  forms?: Partial<BackwardForms>;
  /** Keep the model's original outputs in the new graph. Default true. */
  keepOutputs?: boolean;
}

export interface Differentiated {
  /** The augmented model. */
  readonly model: Model;
  /** For each seeded tensor, the name of the new seed input and its shape. */
  readonly seeds: readonly { tensor: string; input: string; shape: Dim[]; elemType: number }[];
  /** For each wrt tensor, the name of the new gradient output and its shape. */
  readonly grads: readonly { tensor: string; output: string; shape: Dim[]; elemType: number }[];
  /** Exposed intermediate tensors, as output names. */
  readonly exposed: readonly string[];
  /** Shapes of every tensor of the forward graph, as inferred. */
  readonly shapes: ReadonlyMap<string, ShapeInfo>;
}

export const seedName = (tensor: string) => `seed:${tensor}`;
export const gradName = (tensor: string) => `grad:${tensor}`;

const FLOATS = new Set<number>([DType.FLOAT, DType.DOUBLE, DType.FLOAT16, DType.BFLOAT16]);

/** Initializers and Constant-node outputs, by name. */
function constantsOf(model: Model): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const t of model.graph.initializers) out.set(t.name, t);
  for (const n of model.graph.nodes) {
    if (n.opType !== 'Constant' || (n.domain !== '' && n.domain !== 'ai.onnx')) continue;
    const a = attr(n, 'value');
    if (a && a.type === 'tensor') out.set(n.outputs[0]!, { ...a.value, name: n.outputs[0]! });
  }
  return out;
}

function valueInfo(name: string, info: ShapeInfo | undefined): ValueInfo {
  if (!info) return { name };
  return { name, type: { elemType: info.elemType, shape: info.shape.map((d) => d ?? null) } };
}

export function differentiate(source: Model, options: DifferentiateOptions): Differentiated {
  if (options.wrt.length === 0) fail('USAGE', 'differentiate: give at least one tensor to differentiate with respect to.');
  const requested = new Set([...options.wrt, ...(options.seeds ?? []), ...(options.expose ?? [])]);
  const prepared = foldBatchNorm(normalizeOpset(foldShapeComputations(source, options.inputShapes ? { ...options.inputShapes } : undefined)), requested);
  const opset = defaultOpset(prepared);
  const graph = prepared.graph;
  const index = new GraphIndex(graph);
  const shapes = inferShapes(prepared, options.inputShapes ? { ...options.inputShapes } : undefined);
  // a tensor listed twice is the same request
  const seeds = options.seeds && options.seeds.length ? [...new Set(options.seeds)] : [graph.outputs[0]!.name];
  const wrtList = [...new Set(options.wrt)];
  for (const s of seeds) index.require(s, 'seeded tensor');
  for (const w of wrtList) index.require(w, 'tensor to differentiate with respect to');
  for (const e of options.expose ?? []) index.require(e, 'exposed tensor');

  const isFloat = (t: string) => FLOATS.has(shapes.get(t)?.elemType ?? DType.FLOAT);

  // Forward reach: float tensors that depend on a wrt tensor.
  const forward = new Set<string>(wrtList);
  for (const n of graph.nodes) {
    if (n.inputs.some((i) => i && forward.has(i))) for (const o of n.outputs) if (o && isFloat(o)) forward.add(o);
  }
  // Backward reach: tensors the seeded outputs depend on.
  const backward = new Set<string>(seeds);
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    if (n.outputs.some((o) => o && backward.has(o))) for (const i of n.inputs) if (i) backward.add(i);
  }
  const onPath = (t: string) => forward.has(t) && backward.has(t);
  for (const w of wrtList) {
    if (!seeds.some((s) => onPath(s) && onPath(w))) {
      fail('NOT_DIFFERENTIABLE', `'${seeds.join("', '")}' does not depend on '${w}' through float tensors, so there is no gradient to compute. Pick a tensor upstream of the output (run 'cnnlens info MODEL' to list tensors).`);
    }
  }

  const rules = ruleSet(options.rules ?? 'standard', opset);
  const forms: BackwardForms = { conv: 'auto', mask: 'multiply', ...options.forms };
  // Every op on the path needs a rule: check them all before building anything.
  const onPathNode = (n: Node) => n.outputs.some((o) => o && onPath(o)) && n.inputs.some((i) => i && onPath(i));
  const ruleFor = (node: Node) => (node.domain === '' || node.domain === 'ai.onnx' ? rules[node.opType] : undefined);
  for (const node of graph.nodes) {
    if (!onPathNode(node) || ruleFor(node)) continue;
    const from = wrtList.join("', '");
    fail('NO_GRADIENT_RULE', `Error in differentiate: op '${node.domain ? node.domain + '.' : ''}${node.opType}' (node '${node.name || node.outputs[0]}') lies between '${from}' and '${seeds.join("', '")}' and has no backward rule${typeof options.rules === 'string' && options.rules !== 'standard' ? ` in the '${options.rules}' rule set` : ''}. Differentiable ops: ${listForMessage(Object.keys(rules).sort(), 60)}. Differentiate with respect to a tensor after this node, or replace the op.`);
  }
  const ed = new GraphEditor(graph);
  const constants = constantsOf(prepared);
  const contributions = new Map<string, string[]>();
  const summed = new Map<string, string>();
  const shapeCache = new Map<string, string>();
  const seedInfos: Differentiated['seeds'][number][] = [];

  for (const s of seeds) {
    const info = shapes.get(s);
    if (!info) fail('SHAPE', `the shape of seeded tensor '${s}' could not be inferred; give the input size explicitly.`);
    const input = seedName(s);
    ed.inputs.push(valueInfo(input, info));
    contributions.set(s, [input]);
    seedInfos.push({ tensor: s, input, shape: info.shape, elemType: info.elemType });
  }

  const gradOf = (t: string): string | undefined => {
    const done = summed.get(t);
    if (done) return done;
    const list = contributions.get(t);
    if (!list || list.length === 0) return undefined;
    const g = list.length === 1 ? list[0]! : ed.op('Sum', list, undefined, 'grad/accumulate');
    summed.set(t, g);
    return g;
  };

  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const node = graph.nodes[k]!;
    if (!onPathNode(node)) continue;
    const outGrads = node.outputs.map((o) => (o && onPath(o) ? gradOf(o) : undefined));
    if (outGrads.every((g) => g === undefined)) continue;
    const rule = ruleFor(node)!;
    const ctx = new RuleContext(node, k, ed, shapes, constants, onPath, outGrads, shapeCache, forms);
    const inGrads = rule(ctx);
    node.inputs.forEach((name, i) => {
      const g = inGrads[i];
      if (!g || !name || !onPath(name)) return;
      let list = contributions.get(name);
      if (!list) contributions.set(name, (list = []));
      list.push(g);
    });
  }

  const gradInfos: Differentiated['grads'][number][] = [];
  const outputs: ValueInfo[] = options.keepOutputs === false ? [] : [...graph.outputs];
  for (const w of wrtList) {
    const g = gradOf(w);
    if (!g) fail('NOT_DIFFERENTIABLE', `no gradient reaches '${w}' from '${seeds.join("', '")}'.`);
    const output = gradName(w);
    ed.add({ opType: 'Identity', inputs: [g], outputs: [output], name: 'grad/output' });
    const info = shapes.get(w)!;
    outputs.push(valueInfo(output, info));
    gradInfos.push({ tensor: w, output, shape: info.shape, elemType: info.elemType });
  }
  const exposed: string[] = [];
  for (const e of new Set(options.expose ?? [])) {
    if (outputs.some((o) => o.name === e)) { exposed.push(e); continue; }
    const isInput = graph.inputs.some((v) => v.name === e) || index.initializer.has(e);
    let name = e;
    if (isInput) {
      name = `expose:${e}`;
      ed.add({ opType: 'Identity', inputs: [e], outputs: [name], name: 'expose' });
    }
    outputs.push(valueInfo(name, shapes.get(e)));
    exposed.push(name);
  }
  ed.outputs = outputs;
  const model = withGraph(prepared, ed.build());
  return { model, seeds: seedInfos, grads: gradInfos, exposed, shapes };
}
