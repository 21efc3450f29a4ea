/**
 * An objective compiled into the model's graph: nodes computing each example's objective value are
 * appended to a copy of the graph, everything the objective does not read is pruned away (a channel
 * of an early layer never runs the layers above it), and the engine differentiates the result with
 * respect to the input. The compiled session is cached per (model, objective, batch, rules); one call
 * returns the values and d(sum of values)/d(input).
 */
import { differentiate, gradName, seedName } from '../autodiff/differentiate.js';
import type { RuleSetName } from '../autodiff/rulesets.js';
import { fail, listForMessage } from '../errors.js';
import { GraphEditor, attrs, withGraph } from '../onnx/graph.js';
import { DType, defaultOpset, type Dim, type Model, type ValueInfo } from '../onnx/ir.js';
import { saveModel } from '../onnx/load.js';
import { normalizeOpset } from '../onnx/opset.js';
import { floatTensor, int64Tensor } from '../onnx/tensor.js';
import type { ImageModel } from '../model/image-model.js';
import { featureMaps } from '../model/layers.js';
import type { HostTensor, RuntimeBackend } from '../runtime/backend.js';
import { cacheKey } from '../runtime/cache.js';
import { modelKey, sessionsFor } from '../runtime/shared-sessions.js';
import type { Objective, Term } from './objectives.js';

export const OBJECTIVE = 'cnnlens/objective';
export const targetInput = (tensor: string) => `target:${tensor}`;

export interface PlanOptions {
  readonly backend: RuntimeBackend;
  /** intra-op threads; default all cores */
  readonly threads?: number;
  /** the batch size the graph is compiled for; 'N' leaves it free (not for diversity or forExample) */
  readonly batch: number | 'N';
  /** backward rules; 'deconvnet' gives the deconvnet projection. Default 'standard' */
  readonly rules?: RuleSetName;
}

export interface PlanResult {
  /** each example's objective value */
  readonly values: Float32Array;
  /** d(sum of values)/d(model input), in the model's input layout */
  readonly gradient: HostTensor;
}

export interface ObjectivePlan {
  /** tensors of the graph the objective reads, by the layer names it used */
  readonly tensors: Readonly<Record<string, string>>;
  /** shapes of the tensors that `match` terms need fed (batch first), by tensor */
  readonly targets: Readonly<Record<string, readonly Dim[]>>;
  run(input: HostTensor, targets?: Readonly<Record<string, HostTensor>>): Promise<PlanResult>;
}

/** The graph tensor a layer name stands for (Keras layer names work for imported models). */
export function layerTensor(model: ImageModel, name: string): string {
  if (name === 'logits') return model.output.logits;
  const tensor = model.layers?.get(name) ?? name;
  if (!model.shapes.has(tensor)) {
    const maps = featureMaps(model).map((m) => `${m.label} [${(m.shape ?? []).slice(1).join('x')}]`);
    fail('UNKNOWN_LAYER', `'${name}' is not a layer of ${model.name}. Conv feature maps are: ${listForMessage(maps, 40)}; any tensor name works too (run 'cnnlens info' to list them), and 'logits' names the logits.`);
  }
  return tensor;
}

function staticShape(model: ImageModel, tensor: string, name: string): number[] {
  const s = model.shapes.get(tensor)!.shape;
  const rest = s.slice(1);
  if (!rest.every((d): d is number => typeof d === 'number') || (s.length !== 2 && s.length !== 4)) {
    fail('SHAPE', `layer '${name}' has shape [${s.join(', ')}]; objectives read [N, C, H, W] feature maps or [N, units] dense layers.`);
  }
  return rest as number[];
}

/** Appends the objective's nodes to `ed`; returns the per-example output and the fed targets. */
export function emitObjective(ed: GraphEditor, model: ImageModel, objective: Objective, batch: number | 'N', opset: number): { output: string; targets: Record<string, Dim[]>; tensors: Record<string, string> } {
  const ints = (v: readonly number[]) => ed.constant(int64Tensor('ints', [v.length], v));
  const scalar = (v: number) => ed.constant(floatTensor('scalar', [], [v]));
  const reduce = (op: 'ReduceSum' | 'ReduceMean', x: string, axes: readonly number[], keep = false) => {
    const axesAsInput = op === 'ReduceSum' ? opset >= 13 : opset >= 18;
    const k = attrs.int('keepdims', keep ? 1 : 0);
    return axesAsInput ? ed.op(op, [x, ints(axes)], [k]) : ed.op(op, [x], [attrs.ints('axes', axes), k]);
  };
  const slice = (x: string, starts: number[], axes: number[]) => ed.op('Slice', [x, ints(starts), ints(starts.map((s) => s + 1)), ints(axes)]);
  const fixedBatch = (what: string) => {
    if (batch === 'N') fail('USAGE', `${what} needs a fixed batch size.`);
    return batch;
  };
  const tensors: Record<string, string> = {};
  const targets: Record<string, Dim[]> = {};

  const term = (t: Term): string => {
    if (t.kind === 'class') {
      const units = staticShape(model, model.output.logits, 'logits')[0]!;
      const binary = model.output.kind === 'sigmoid-binary';
      if (t.index >= (binary ? 2 : units)) fail('UNKNOWN_CLASS', `class ${t.index} does not exist; ${model.name} has ${binary ? 2 : units} classes.`);
      tensors.logits = model.output.logits;
      const v = reduce('ReduceSum', slice(model.output.logits, [binary ? 0 : t.index], [1]), [1]);
      return binary && t.index === 0 ? ed.op('Neg', [v]) : v;
    }
    const tensor = layerTensor(model, t.layer);
    tensors[t.layer] = tensor;
    const rest = staticShape(model, tensor, t.layer);
    const spatial = rest.length === 3;
    const all = spatial ? [1, 2, 3] : [1];
    const C = rest[0]!;
    const checkChannel = (c: number) => { if (c >= C) fail('USAGE', `channel ${c} does not exist: '${t.layer}' has ${C} channels (0..${C - 1}).`); };
    switch (t.kind) {
      case 'neuron': {
        checkChannel(t.channel);
        if (!spatial) return reduce('ReduceSum', slice(tensor, [t.channel], [1]), [1]);
        const [, H, W] = rest as [number, number, number];
        const x = t.x ?? Math.floor(W / 2), y = t.y ?? Math.floor(H / 2);
        if (x >= W || y >= H) fail('USAGE', `position (x=${x}, y=${y}) is outside '${t.layer}', which is ${W} wide and ${H} high.`);
        return reduce('ReduceSum', slice(tensor, [t.channel, y, x], [1, 2, 3]), all);
      }
      case 'channel':
        checkChannel(t.channel);
        return reduce(spatial ? 'ReduceMean' : 'ReduceSum', slice(tensor, [t.channel], [1]), all);
      case 'layer':
        return reduce('ReduceMean', ed.op('Mul', [tensor, tensor]), all);
      case 'direction': {
        if (t.vector.length !== C) fail('USAGE', `direction: the vector has ${t.vector.length} values, but '${t.layer}' has ${C} channels.`);
        const v = ed.constant(floatTensor('direction', spatial ? [1, C, 1, 1] : [1, C], t.vector));
        const dot = reduce('ReduceSum', ed.op('Mul', [tensor, v]), [1]);
        return spatial ? reduce('ReduceMean', dot, [1, 2]) : dot;
      }
      case 'diversity': {
        const B = fixedBatch('diversity');
        const feats = ed.op('Reshape', [tensor, ints([0, C, -1])]);
        const gram = ed.op('MatMul', [feats, ed.op('Transpose', [feats], [attrs.ints('perm', [0, 2, 1])])]);
        const flat = ed.op('Reshape', [gram, ints([0, C * C])]);
        const norm = ed.op('Sqrt', [ed.op('Add', [reduce('ReduceSum', ed.op('Mul', [flat, flat]), [1], true), scalar(1e-12)])]);
        const unit = ed.op('Div', [flat, norm]);
        const cos = ed.op('MatMul', [unit, ed.op('Transpose', [unit], [attrs.ints('perm', [1, 0])])]);
        const others = ed.op('Sub', [reduce('ReduceSum', cos, [1]), reduce('ReduceSum', ed.op('Mul', [unit, unit]), [1])]);
        return ed.op('Mul', [others, scalar(-1 / B)]);
      }
      case 'match': {
        const input = targetInput(tensor);
        if (!targets[tensor]) {
          targets[tensor] = [batch, ...rest];
          ed.inputs.push({ name: input, type: { elemType: DType.FLOAT, shape: [batch, ...rest] } });
        }
        const diff = ed.op('Sub', [tensor, input]);
        const num = reduce('ReduceSum', ed.op('Mul', [diff, diff]), all);
        const den = ed.op('Add', [reduce('ReduceSum', ed.op('Mul', [input, input]), all), scalar(1e-12)]);
        return ed.op('Neg', [ed.op('Div', [num, den])]);
      }
    }
  };

  const parts = objective.terms.map((wt) => {
    let v = term(wt.term);
    if (wt.weight !== 1) v = ed.op('Mul', [v, scalar(wt.weight)]);
    if (wt.example !== undefined) {
      const B = fixedBatch('an objective for one example of the batch');
      if (wt.example >= B) fail('USAGE', `the objective names example ${wt.example}, but the batch has ${B} examples.`);
      v = ed.op('Mul', [v, ed.constant(floatTensor('example_mask', [B], Array.from({ length: B }, (_, i) => (i === wt.example ? 1 : 0))))]);
    }
    return v;
  });
  ed.add({ opType: parts.length === 1 ? 'Identity' : 'Sum', inputs: parts, outputs: [OBJECTIVE], name: 'objective' });
  return { output: OBJECTIVE, targets, tensors };
}

/** Keeps only the nodes, initializers and inputs the outputs depend on. */
export function pruneToOutputs(model: Model): Model {
  const g = model.graph;
  const needed = new Set(g.outputs.map((o) => o.name));
  const nodes = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k]!;
    if (!n.outputs.some((o) => o && needed.has(o))) continue;
    nodes.push(n);
    for (const i of n.inputs) if (i) needed.add(i);
    // subgraph-holding ops (If, Loop) may read outer tensors: keep every name their bodies mention
    for (const a of n.attributes) if (a.type === 'graph' || a.type === 'graphs') return model;
  }
  nodes.reverse();
  return withGraph(model, {
    ...g,
    nodes,
    initializers: g.initializers.filter((t) => needed.has(t.name)),
    inputs: g.inputs.filter((v) => needed.has(v.name)),
    valueInfo: g.valueInfo.filter((v) => needed.has(v.name)),
  });
}

function inputShape(model: ImageModel, batch: number | 'N'): Dim[] {
  const s = model.input;
  return s.layout === 'NCHW' ? [batch, s.channels, s.height, s.width] : [batch, s.height, s.width, s.channels];
}

/** Builds (or takes from the cache) the compiled objective + gradient graph. */
export async function objectivePlan(model: ImageModel, objective: Objective, options: PlanOptions): Promise<ObjectivePlan> {
  const rules = options.rules ?? 'standard';
  const prepared = normalizeOpset(model.onnx);
  const ed = new GraphEditor(prepared.graph);
  const emitted = emitObjective(ed, model, objective, options.batch, defaultOpset(prepared));
  ed.outputs = [{ name: OBJECTIVE, type: { elemType: DType.FLOAT, shape: [options.batch] } } satisfies ValueInfo];
  const key = cacheKey(modelKey(model.onnx), 'featurevis', objective.key, rules, String(options.batch));
  const sessions = sessionsFor(options.backend, options.threads);
  const build = async () => {
    const pruned = pruneToOutputs(withGraph(prepared, ed.build()));
    if (!pruned.graph.inputs.some((v) => v.name === model.inputName)) fail('NOT_DIFFERENTIABLE', `the objective ${objective.toString()} does not depend on the input.`);
    const inputShapes: Record<string, Dim[]> = { [model.inputName]: inputShape(model, options.batch) };
    for (const [t, shape] of Object.entries(emitted.targets)) inputShapes[targetInput(t)] = shape;
    const d = differentiate(pruned, { wrt: [model.inputName], seeds: [OBJECTIVE], rules, inputShapes, keepOutputs: true });
    return saveModel(d.model);
  };
  const seed = seedName(OBJECTIVE);
  const grad = gradName(model.inputName);
  return {
    tensors: emitted.tensors,
    targets: emitted.targets,
    async run(input, fed = {}) {
      const n = input.dims[0]!;
      if (options.batch !== 'N' && n !== options.batch) fail('INPUT_SHAPE', `the plan was compiled for a batch of ${options.batch}, got ${n}.`);
      const feeds: Record<string, HostTensor> = { [model.inputName]: input, [seed]: { type: 'float32', dims: [n], data: new Float32Array(n).fill(1) } };
      for (const t of Object.keys(emitted.targets)) {
        const v = fed[t];
        if (!v) fail('USAGE', `the objective matches '${t}' to a target, but none was given.`);
        feeds[targetInput(t)] = v;
      }
      const { session, release } = await sessions.acquire(key, build);
      try {
        const out = await session.run(feeds, [OBJECTIVE, grad]);
        return { values: out[OBJECTIVE]!.data as Float32Array, gradient: out[grad]! };
      } finally {
        release();
      }
    },
  };
}
