/** ZeroPadding2D (Pad) and Cropping2D (Slice) on NCHW tensors. */
import { channelsLast, imageInput, isIntList, malformed, type LayerCall, type LayerConverter } from './common.js';

/** Keras's int | [sym_h, sym_w] | [[top, bottom], [left, right]] as [top, bottom, left, right]. */
function amounts(call: LayerCall, key: string): [number, number, number, number] {
  const v = call.layer.config[key];
  let r: number[] | undefined;
  if (typeof v === 'number' && Number.isInteger(v)) r = [v, v, v, v];
  else if (isIntList(v, 2)) r = [v[0]!, v[0]!, v[1]!, v[1]!];
  else if (Array.isArray(v) && v.length === 2 && isIntList(v[0], 2) && isIntList(v[1], 2)) r = [...v[0], ...v[1]];
  if (!r || r.some((x) => x < 0)) malformed(call, `config '${key}' should be an int, a pair, or [[top, bottom], [left, right]] of non-negative ints, got ${JSON.stringify(v)}`);
  return r as [number, number, number, number];
}

const add = (d: number | null, k: number) => (d === null ? null : d + k);

const zeroPadding: LayerConverter = (call) => {
  channelsLast(call);
  const { x, channels } = imageInput(call);
  const [t, b, l, r] = amounts(call, 'padding');
  const pads = call.b.ints(`${call.out}/pads`, [0, 0, t, l, 0, 0, b, r]);
  call.b.op('Pad', [x.name, pads], [], call.out);
  return { name: call.out, shape: [add(x.shape[0]!, t + b), add(x.shape[1]!, l + r), channels] };
};

const cropping: LayerConverter = (call) => {
  channelsLast(call);
  const { x, channels } = imageInput(call);
  const [t, b, l, r] = amounts(call, 'cropping');
  const shape = [add(x.shape[0]!, -t - b), add(x.shape[1]!, -l - r), channels];
  if (shape.some((d) => d !== null && d < 1)) malformed(call, `cropping [${t}, ${b}, ${l}, ${r}] leaves nothing of a ${x.shape[0]}x${x.shape[1]} input`);
  const END = 2 ** 62;
  const starts = call.b.ints(`${call.out}/starts`, [t, l]);
  const ends = call.b.ints(`${call.out}/ends`, [b > 0 ? -b : END, r > 0 ? -r : END]);
  const axes = call.b.ints(`${call.out}/axes`, [2, 3]);
  call.b.op('Slice', [x.name, starts, ends, axes], [], call.out);
  return { name: call.out, shape };
};

export const paddingLayers: Readonly<Record<string, LayerConverter>> = {
  ZeroPadding2D: zeroPadding,
  Cropping2D: cropping,
};
