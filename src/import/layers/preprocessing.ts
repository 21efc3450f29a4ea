/**
 * Preprocessing layers that belong to the model: Rescaling (x * scale + offset) and Normalization
 * ((x - mean) / max(sqrt(variance), 1e-7), as Keras computes it).
 */
import type { Value } from '../builder.js';
import { bool, channelConstant, malformed, oneInput, tmp, unsupported, type LayerCall, type LayerConverter } from './common.js';
import { singleAxis } from './normalization.js';

const KERAS_EPSILON = 1e-7;

/** A number, or a list of one value per channel (or a single value). */
function perChannel(call: LayerCall, v: Value, key: string, value: unknown, dflt: number): number[] {
  if (value === undefined || value === null) return [dflt];
  const flat = Array.isArray(value) ? (value.flat(4) as unknown[]) : [value];
  if (flat.length === 0 || !flat.every((x) => typeof x === 'number' && Number.isFinite(x))) malformed(call, `config '${key}' should be a number or a list of numbers, got ${JSON.stringify(value)}`);
  const c = v.shape[v.shape.length - 1];
  if (flat.length !== 1 && flat.length !== c) unsupported(call, `'${key}' with ${flat.length} values for ${String(c)} channels (one value, or one per channel)`);
  return flat as number[];
}

const rescaling: LayerConverter = (call) => {
  const v = oneInput(call);
  const scale = perChannel(call, v, 'scale', call.layer.config['scale'], 1);
  const offset = perChannel(call, v, 'offset', call.layer.config['offset'], 0);
  const noOffset = offset.every((o) => o === 0);
  const scaled = call.b.op('Mul', [v.name, channelConstant(call, v, 'scale', scale)], [], noOffset ? call.out : tmp(call, 'scaled'));
  if (!noOffset) call.b.op('Add', [scaled, channelConstant(call, v, 'offset', offset)], [], call.out);
  return { name: call.out, shape: v.shape };
};

const normalization: LayerConverter = (call) => {
  const v = oneInput(call);
  if (bool(call, 'invert', false)) unsupported(call, 'invert=true (only the forward normalization is supported)');
  const axisCfg = call.layer.config['axis'];
  const perElement = axisCfg === null || (Array.isArray(axisCfg) && axisCfg.length === 0);
  if (!perElement) {
    const axis = singleAxis(call, -1);
    if (axis !== -1 && axis !== v.shape.length) unsupported(call, `axis ${axis} (only the last, channel axis)`);
  }
  const ws = call.weights();
  let mean: unknown = call.layer.config['mean'];
  let variance: unknown = call.layer.config['variance'];
  if (ws.length > 0) {
    if (ws.length < 2 || ws.length > 3) malformed(call, `expected the weights mean, variance and count, found ${ws.length} arrays`);
    mean = Array.from(ws[0]!.data);
    variance = Array.from(ws[1]!.data);
  }
  if (mean === undefined || mean === null || variance === undefined || variance === null) malformed(call, 'no mean and variance, neither as weights nor in the config');
  const m = perChannel(call, v, 'mean', mean, 0);
  const sd = perChannel(call, v, 'variance', variance, 1).map((x) => Math.max(Math.sqrt(x), KERAS_EPSILON));
  if (perElement && (m.length !== 1 || sd.length !== 1)) unsupported(call, 'axis=None with more than one mean value');
  const centered = call.b.op('Sub', [v.name, channelConstant(call, v, 'mean', m)], [], tmp(call, 'centered'));
  call.b.op('Div', [centered, channelConstant(call, v, 'std', sd)], [], call.out);
  return { name: call.out, shape: v.shape };
};

export const preprocessingLayers: Readonly<Record<string, LayerConverter>> = {
  Rescaling: rescaling,
  Normalization: normalization,
};
