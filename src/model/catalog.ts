/**
 * The layer catalog: which tensors are conv feature maps (the tensors CAM methods weight and unit
 * visualizations read), and which one CAM methods use by default.
 */
import type { Dim, Model, TensorType } from '../onnx/ir.js';

/** Ops whose 4-D output, downstream of a convolution, is a feature map a user would explain or visualize. */
const FEATURE_MAP_OPS: ReadonlySet<string> = new Set([
  'Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv',
  'BatchNormalization', 'InstanceNormalization', 'LRN', 'GroupNormalization',
  'Relu', 'LeakyRelu', 'PRelu', 'Elu', 'Selu', 'Celu', 'Gelu', 'Clip', 'Sigmoid', 'HardSigmoid',
  'HardSwish', 'Mish', 'Softplus', 'Tanh',
  'Add', 'Sum', 'Mul', 'Concat',
  'MaxPool', 'AveragePool', 'LpPool',
  'Dropout', 'Identity',
]);

const CONV_OPS: ReadonlySet<string> = new Set(['Conv', 'ConvTranspose', 'ConvInteger', 'QLinearConv']);

export interface FeatureMap {
  readonly name: string;
  /** the op that produces it */
  readonly op: string;
  /** [N, C, H, W] as inferred, or null when unknown */
  readonly shape: readonly Dim[] | null;
}

/** 4-D with a spatial size above 1×1; unknown spatial dims count (the map's size depends on the input). */
export function isSpatialMap(shape: readonly Dim[] | null | undefined): boolean {
  if (!shape || shape.length !== 4) return false;
  return !(shape[2] === 1 && shape[3] === 1);
}

/** The conv feature maps of a model, in graph (topological) order. */
export function convFeatureMaps(model: Model, typeOf: (name: string) => TensorType | undefined): FeatureMap[] {
  const afterConv = new Set<string>();
  const maps: FeatureMap[] = [];
  for (const n of model.graph.nodes) {
    const isDefault = n.domain === '' || n.domain === 'ai.onnx';
    if ((isDefault && CONV_OPS.has(n.opType)) || n.inputs.some((i) => afterConv.has(i))) {
      for (const o of n.outputs) if (o) afterConv.add(o);
    }
    if (!isDefault || !FEATURE_MAP_OPS.has(n.opType)) continue;
    for (const o of n.outputs) {
      if (!o || !afterConv.has(o)) continue;
      const shape = typeOf(o)?.shape ?? null;
      if (isSpatialMap(shape)) maps.push({ name: o, op: n.opType, shape });
    }
  }
  return maps;
}

/**
 * The default layer for CAM methods: the last conv feature map whose spatial size is known to be
 * above 1×1 (a 1×1 "logits conv" after global pooling, as in MobileNetV3, is not a feature map worth
 * weighting), else the last feature map of unknown size.
 */
export function defaultCamLayer(maps: readonly FeatureMap[]): FeatureMap | undefined {
  const known = (m: FeatureMap) => typeof m.shape?.[2] === 'number' && typeof m.shape?.[3] === 'number';
  for (let i = maps.length - 1; i >= 0; i--) if (known(maps[i]!)) return maps[i];
  return maps[maps.length - 1];
}
