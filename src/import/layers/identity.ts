/** Layers that are the identity at inference time (dropout and noise regularizers). */
import { oneInput, type LayerConverter } from './common.js';

const identity: LayerConverter = (call) => {
  const v = oneInput(call);
  call.b.op('Identity', [v.name], [], call.out);
  return { name: call.out, shape: v.shape };
};

export const identityLayers: Readonly<Record<string, LayerConverter>> = Object.fromEntries(
  ['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'AlphaDropout', 'GaussianDropout', 'GaussianNoise', 'ActivityRegularization'].map((c) => [c, identity]),
);
