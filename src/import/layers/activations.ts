/**
 * Keras activations (as fused `activation` options and as Activation / ReLU / LeakyReLU / ELU /
 * Softmax layers) in ONNX ops the engine can differentiate. Softmax, log-softmax and sigmoid are
 * emitted as a separate node reading `<layer>/logits`, so the pre-activation score can be explained.
 */
import { attrs } from '../../onnx/graph.js';
import type { Value } from '../builder.js';
import { bool, graphAxis, malformed, num, oneInput, optNum, tmp, unsupported, type LayerCall, type LayerConverter } from './common.js';

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** Activations whose input is kept as `<layer>/logits`. */
const SQUASHING = new Set(['softmax', 'sigmoid', 'log_softmax', 'logsoftmax']);

/** The activation name of a layer config, lower-cased with tfjs's camelCase names mapped to Keras's. */
export function activationName(call: LayerCall, key = 'activation'): string {
  const v = call.layer.config[key];
  if (v === undefined || v === null) return 'linear';
  let name: unknown = v;
  // Keras 3 may serialize a built-in activation as {module, class_name: 'function', config: 'relu'}
  if (typeof v === 'object' && !Array.isArray(v)) name = (v as Record<string, unknown>)['config'];
  if (typeof name !== 'string') malformed(call, `config '${key}' should name an activation, got ${JSON.stringify(v)}`);
  return name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Where a layer's pre-activation output goes, given its activation. */
export function preActivation(call: LayerCall, act: string): string | { base: string } {
  if (act === 'linear') return call.out;
  if (SQUASHING.has(act)) return call.b.fresh(`${call.out}/logits`);
  return tmp(call, 'preact');
}

function scalar(call: LayerCall, what: string, v: number): string {
  return call.b.floats(`${call.out}/${what}`, [], [v]);
}

/** y = x * cdf(x): the exact erf form, or the tanh approximation. */
function gelu(call: LayerCall, x: string, approximate: boolean): void {
  const b = call.b;
  let inner: string;
  if (approximate) {
    const cube = b.op('Mul', [b.op('Mul', [x, x], [], tmp(call, 'x2')), x], [], tmp(call, 'x3'));
    const poly = b.op('Add', [x, b.op('Mul', [cube, scalar(call, 'c', 0.044715)], [], tmp(call, 'cx3'))], [], tmp(call, 'poly'));
    inner = b.op('Tanh', [b.op('Mul', [poly, scalar(call, 'k', Math.sqrt(2 / Math.PI))], [], tmp(call, 'kpoly'))], [], tmp(call, 'tanh'));
  } else {
    inner = b.op('Erf', [b.op('Mul', [x, scalar(call, 'inv_sqrt2', Math.SQRT1_2)], [], tmp(call, 'scaled'))], [], tmp(call, 'erf'));
  }
  const cdf = b.op('Mul', [b.op('Add', [inner, scalar(call, 'one', 1)], [], tmp(call, 'onep')), scalar(call, 'half', 0.5)], [], tmp(call, 'cdf'));
  b.op('Mul', [x, cdf], [], call.out);
}

/** Emits `act` applied to `x` (a tensor of value shape `v`) with output `call.out`. */
export function applyActivation(call: LayerCall, x: string, v: Value, act: string, opts: { approximate?: boolean } = {}): Value {
  const b = call.b;
  const out = call.out;
  const lastAxis = () => graphAxis(call, v, -1);
  switch (act) {
    case 'linear':
      if (x !== out) b.op('Identity', [x], [], out);
      break;
    case 'relu':
      b.op('Relu', [x], [], out);
      break;
    case 'relu6':
      b.op('Clip', [x, scalar(call, 'min', 0), scalar(call, 'max', 6)], [], out);
      break;
    case 'sigmoid':
      b.op('Sigmoid', [x], [], out);
      break;
    case 'softmax':
      b.op('Softmax', [x], [attrs.int('axis', lastAxis())], out);
      break;
    case 'log_softmax':
    case 'logsoftmax':
      b.op('LogSoftmax', [x], [attrs.int('axis', lastAxis())], out);
      break;
    case 'tanh':
      b.op('Tanh', [x], [], out);
      break;
    case 'elu':
      b.op('Elu', [x], [attrs.float('alpha', 1)], out);
      break;
    case 'selu':
      b.op('Mul', [b.op('Elu', [x], [attrs.float('alpha', SELU_ALPHA)], tmp(call, 'elu')), scalar(call, 'scale', SELU_SCALE)], [], out);
      break;
    case 'swish':
    case 'silu':
      b.op('Mul', [x, b.op('Sigmoid', [x], [], tmp(call, 'sigmoid'))], [], out);
      break;
    case 'hard_sigmoid':
      // Keras 2 (and tfjs): clip(0.2x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6
      b.op('HardSigmoid', [x], [attrs.float('alpha', isKeras3(call) ? 1 / 6 : 0.2), attrs.float('beta', 0.5)], out);
      break;
    case 'hard_swish':
    case 'hard_silu':
      b.op('HardSwish', [x], [], out);
      break;
    case 'gelu':
      gelu(call, x, opts.approximate ?? false);
      break;
    case 'gelu_new':
      gelu(call, x, true);
      break;
    case 'softplus':
      b.op('Softplus', [x], [], out);
      break;
    case 'softsign':
      b.op('Div', [x, b.op('Add', [b.op('Abs', [x], [], tmp(call, 'abs')), scalar(call, 'one', 1)], [], tmp(call, 'den'))], [], out);
      break;
    case 'exponential':
      b.op('Exp', [x], [], out);
      break;
    case 'mish':
      b.op('Mul', [x, b.op('Tanh', [b.op('Softplus', [x], [], tmp(call, 'softplus'))], [], tmp(call, 'tanh'))], [], out);
      break;
    case 'leaky_relu':
      b.op('LeakyRelu', [x], [attrs.float('alpha', 0.2)], out);
      break;
    default:
      unsupported(
        call,
        `activation '${act}' is not supported (supported: linear, relu, relu6, sigmoid, softmax, log_softmax, tanh, elu, selu, swish/silu, hard_sigmoid, hard_swish, gelu, softplus, softsign, exponential, mish, leaky_relu)`,
      );
  }
  return { name: out, shape: v.shape };
}

function isKeras3(call: LayerCall): boolean {
  return /^3\./.test(call.kerasVersion ?? '');
}

/** Keras ReLU: max_value, negative_slope and threshold (Keras's own piecewise definition). */
const relu: LayerConverter = (call) => {
  const v = oneInput(call);
  const b = call.b;
  const max = optNum(call, 'max_value');
  const slope = num(call, 'negative_slope', 0);
  const threshold = num(call, 'threshold', 0);
  if (max !== undefined && max < 0) malformed(call, `max_value must be >= 0, got ${max}`);
  if (threshold === 0) {
    if (slope === 0) {
      if (max === undefined) b.op('Relu', [v.name], [], call.out);
      else b.op('Clip', [v.name, scalar(call, 'min', 0), scalar(call, 'max', max)], [], call.out);
    } else if (max === undefined) {
      b.op('LeakyRelu', [v.name], [attrs.float('alpha', slope)], call.out);
    } else {
      const leaky = b.op('LeakyRelu', [v.name], [attrs.float('alpha', slope)], tmp(call, 'leaky'));
      b.op('Clip', [leaky, '', scalar(call, 'max', max)], [], call.out);
    }
    return { name: call.out, shape: v.shape };
  }
  // x >= max → max; threshold <= x < max → x; else slope * (x - threshold). As in Keras, the
  // positive part is x * (x > threshold), clipped to [0, max].
  const thr = scalar(call, 'threshold', threshold);
  const mask = b.op('Cast', [b.op('Greater', [v.name, thr], [], tmp(call, 'above'))], [attrs.int('to', 1)], tmp(call, 'mask'));
  const lastPositive = slope === 0 && max === undefined;
  let pos = b.op('Mul', [v.name, mask], [], lastPositive ? call.out : tmp(call, 'pos'));
  if (max !== undefined) pos = b.op('Clip', [pos, scalar(call, 'min', 0), scalar(call, 'max', max)], [], slope === 0 ? call.out : tmp(call, 'clipped'));
  if (slope !== 0) {
    const neg = b.op('Relu', [b.op('Sub', [thr, v.name], [], tmp(call, 'below'))], [], tmp(call, 'neg'));
    b.op('Sub', [pos, b.op('Mul', [neg, scalar(call, 'slope', slope)], [], tmp(call, 'negpart'))], [], call.out);
  }
  return { name: call.out, shape: v.shape };
};

const leakyRelu: LayerConverter = (call) => {
  const v = oneInput(call);
  const alpha = optNum(call, 'negative_slope') ?? num(call, 'alpha', 0.3);
  call.b.op('LeakyRelu', [v.name], [attrs.float('alpha', alpha)], call.out);
  return { name: call.out, shape: v.shape };
};

const elu: LayerConverter = (call) => {
  const v = oneInput(call);
  call.b.op('Elu', [v.name], [attrs.float('alpha', num(call, 'alpha', 1))], call.out);
  return { name: call.out, shape: v.shape };
};

const activation: LayerConverter = (call) => {
  const v = oneInput(call);
  const act = activationName(call);
  if (!SQUASHING.has(act)) return applyActivation(call, v.name, v, act, { approximate: bool(call, 'approximate', false) });
  const logits = call.b.op('Identity', [v.name], [], call.b.fresh(`${call.out}/logits`));
  return applyActivation(call, logits, v, act);
};

const softmax: LayerConverter = (call) => {
  const v = oneInput(call);
  const axis = call.layer.config['axis'];
  const a = Array.isArray(axis) && axis.length === 1 ? axis[0] : axis ?? -1;
  if (typeof a !== 'number') unsupported(call, `softmax over axis ${JSON.stringify(axis)} (one axis only)`);
  const logits = call.b.op('Identity', [v.name], [], call.b.fresh(`${call.out}/logits`));
  call.b.op('Softmax', [logits], [attrs.int('axis', graphAxis(call, v, a))], call.out);
  return { name: call.out, shape: v.shape };
};

export const activationLayers: Readonly<Record<string, LayerConverter>> = {
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  Softmax: softmax,
};

