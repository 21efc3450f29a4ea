/**
 * MaxPooling2D, AveragePooling2D (TF's 'same' average counts only real pixels, as ONNX's
 * count_include_pad=0 does) and the global pools, with or without keepdims.
 */
import { attrs } from '../../onnx/graph.js';
import { bool, channelsLast, imageInput, malformed, pair, tmp, type LayerCall, type LayerConverter } from './common.js';
import { paddingMode, windowAttrs } from './spatial.js';

function pool(opType: 'MaxPool' | 'AveragePool'): LayerConverter {
  return (call: LayerCall) => {
    channelsLast(call);
    const { x, channels } = imageInput(call);
    const kernel = pair(call, 'pool_size', [2, 2]);
    const strides = pair(call, 'strides', kernel);
    if ([...kernel, ...strides].some((v) => v < 1)) malformed(call, 'pool_size and strides must be positive');
    const { attributes, out } = windowAttrs(call, x.shape.slice(0, 2), { kernel, strides, dilations: [1, 1] }, paddingMode(call));
    call.b.op(opType, [x.name], attributes, call.out);
    return { name: call.out, shape: [out[0], out[1], channels] };
  };
}

function globalPool(opType: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter {
  return (call: LayerCall) => {
    channelsLast(call);
    const { x, channels } = imageInput(call);
    const keep = bool(call, 'keepdims', false);
    if (keep) {
      call.b.op(opType, [x.name], [], call.out);
      return { name: call.out, shape: [1, 1, channels] };
    }
    const pooled = call.b.op(opType, [x.name], [], tmp(call, 'pooled'));
    call.b.op('Flatten', [pooled], [attrs.int('axis', 1)], call.out);
    return { name: call.out, shape: [channels] };
  };
}

export const poolingLayers: Readonly<Record<string, LayerConverter>> = {
  MaxPooling2D: pool('MaxPool'),
  MaxPool2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  AvgPool2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalAvgPool2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  GlobalMaxPool2D: globalPool('GlobalMaxPool'),
};
