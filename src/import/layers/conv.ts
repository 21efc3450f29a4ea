/**
 * Conv2D, DepthwiseConv2D and SeparableConv2D as ONNX Conv on NCHW tensors. Keras kernels are
 * [kh, kw, in, out] (depthwise: [kh, kw, in, multiplier]); ONNX wants [out, in / group, kh, kw].
 */
import { attrs } from '../../onnx/graph.js';
import { permuteArray, type Value } from '../builder.js';
import { activationName, applyActivation, preActivation } from './activations.js';
import { bool, channelsLast, checkedWeights, imageInput, malformed, num, pair, tmp, unsupported, type LayerCall, type LayerConverter } from './common.js';
import { paddingMode, windowAttrs, type Window } from './spatial.js';

interface ConvArgs {
  readonly x: Value;
  /** ONNX weight [out, in / group, kh, kw] */
  readonly weight: Float32Array;
  readonly weightDims: readonly number[];
  readonly bias?: Float32Array;
  readonly group: number;
  readonly window: Window;
  readonly what: string;
  readonly output: string | { base: string };
}

function emitConv(call: LayerCall, a: ConvArgs): Value {
  const { attributes, out } = windowAttrs(call, a.x.shape.slice(0, 2), a.window, paddingMode(call));
  attributes.push(attrs.ints('dilations', a.window.dilations), attrs.int('group', a.group));
  const inputs = [a.x.name, call.b.floats(`${call.out}/${a.what}`, a.weightDims, a.weight)];
  if (a.bias) inputs.push(call.b.floats(`${call.out}/${a.what}_bias`, [a.bias.length], a.bias));
  const name = call.b.op('Conv', inputs, attributes, a.output);
  return { name, shape: [out[0], out[1], a.weightDims[0]!] };
}

function window(call: LayerCall): Window {
  const w: Window = { kernel: pair(call, 'kernel_size'), strides: pair(call, 'strides', [1, 1]), dilations: pair(call, 'dilation_rate', [1, 1]) };
  if ([...w.kernel, ...w.strides, ...w.dilations].some((v) => v < 1)) malformed(call, 'kernel_size, strides and dilation_rate must be positive');
  if ((w.strides[0] > 1 || w.strides[1] > 1) && (w.dilations[0] > 1 || w.dilations[1] > 1)) {
    unsupported(call, 'strides > 1 together with dilation_rate > 1 (Keras itself refuses this)');
  }
  return w;
}

/** A fused activation after the conv, emitted into `call.out`. */
function finish(call: LayerCall, conv: (output: string | { base: string }) => Value): Value {
  const act = activationName(call);
  const y = conv(preActivation(call, act));
  return y.name === call.out ? y : applyActivation(call, y.name, y, act);
}

const conv2d: LayerConverter = (call) => {
  channelsLast(call);
  const { x, channels } = imageInput(call);
  const w = window(call);
  const filters = num(call, 'filters');
  const groups = num(call, 'groups', 1);
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0 || filters % groups !== 0) {
    malformed(call, `groups=${groups} must divide the ${channels} input channels and the ${filters} filters`);
  }
  const useBias = bool(call, 'use_bias', true);
  const shape = [w.kernel[0], w.kernel[1], channels / groups, filters];
  const [kernel, bias] = checkedWeights(call, [{ name: 'kernel', shape }, ...(useBias ? [{ name: 'bias', shape: [filters] }] : [])]);
  const weight = permuteArray(kernel!.data, shape, [3, 2, 0, 1]);
  return finish(call, (output) =>
    emitConv(call, { x, weight, weightDims: [filters, channels / groups, w.kernel[0], w.kernel[1]], ...(bias ? { bias: bias.data } : {}), group: groups, window: w, what: 'kernel', output }),
  );
};

/** The depthwise part: output channel c * multiplier + m reads input channel c, as in TensorFlow. */
function depthwise(call: LayerCall, x: Value, channels: number, w: Window, kernel: Float32Array, mult: number, bias: Float32Array | undefined, output: string | { base: string }): Value {
  const shape = [w.kernel[0], w.kernel[1], channels, mult];
  const weight = permuteArray(kernel, shape, [2, 3, 0, 1]);
  return emitConv(call, { x, weight, weightDims: [channels * mult, 1, w.kernel[0], w.kernel[1]], ...(bias ? { bias } : {}), group: channels, window: w, what: 'depthwise_kernel', output });
}

const depthwiseConv2d: LayerConverter = (call) => {
  channelsLast(call);
  const { x, channels } = imageInput(call);
  const w = window(call);
  const mult = num(call, 'depth_multiplier', 1);
  const useBias = bool(call, 'use_bias', true);
  const [kernel, bias] = checkedWeights(call, [
    { name: 'depthwise_kernel', shape: [w.kernel[0], w.kernel[1], channels, mult] },
    ...(useBias ? [{ name: 'bias', shape: [channels * mult] }] : []),
  ]);
  return finish(call, (output) => depthwise(call, x, channels, w, kernel!.data, mult, bias?.data, output));
}

const separableConv2d: LayerConverter = (call) => {
  channelsLast(call);
  const { x, channels } = imageInput(call);
  const w = window(call);
  const mult = num(call, 'depth_multiplier', 1);
  const filters = num(call, 'filters');
  const useBias = bool(call, 'use_bias', true);
  const [dk, pk, bias] = checkedWeights(call, [
    { name: 'depthwise_kernel', shape: [w.kernel[0], w.kernel[1], channels, mult] },
    { name: 'pointwise_kernel', shape: [1, 1, channels * mult, filters] },
    ...(useBias ? [{ name: 'bias', shape: [filters] }] : []),
  ]);
  const dw = depthwise(call, x, channels, w, dk!.data, mult, undefined, tmp(call, 'depthwise'));
  const pointwise = permuteArray(pk!.data, [1, 1, channels * mult, filters], [3, 2, 0, 1]);
  const one: Window = { kernel: [1, 1], strides: [1, 1], dilations: [1, 1] };
  return finish(call, (output) =>
    emitConv(call, { x: dw, weight: pointwise, weightDims: [filters, channels * mult, 1, 1], ...(bias ? { bias: bias.data } : {}), group: 1, window: one, what: 'pointwise_kernel', output }),
  );
};

export const convLayers: Readonly<Record<string, LayerConverter>> = {
  Conv2D: conv2d,
  Convolution2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  SeparableConvolution2D: separableConv2d,
};
