/**
 * Layers as the user names them: the conv feature maps of an ImageModel (with Keras names for
 * imported models), the default layer for CAM methods, and name resolution with a helpful error.
 */
import { fail, listForMessage } from '../errors.js';
import { convFeatureMaps, defaultCamLayer, isSpatialMap, type FeatureMap } from './catalog.js';
import type { ImageModel } from './image-model.js';

export interface LayerChoice {
  /** the name to show (the Keras layer name for imported models, else the tensor name) */
  readonly name: string;
  readonly tensor: string;
  /** [N, C, H, W] */
  readonly shape: readonly (number | string | null)[];
  /** true when the user did not name it */
  readonly isDefault: boolean;
}

/** The model's conv feature maps, named as the user knows them. */
export function featureMaps(model: ImageModel): (FeatureMap & { readonly label: string })[] {
  const byTensor = new Map<string, string>();
  for (const [name, tensor] of model.layers ?? []) if (!byTensor.has(tensor) || name.length < byTensor.get(tensor)!.length) byTensor.set(tensor, name);
  return convFeatureMaps(model.onnx, (n) => model.shapes.get(n)).map((m) => ({ ...m, label: byTensor.get(m.name) ?? m.name }));
}

function describe(maps: readonly (FeatureMap & { label: string })[]): string {
  return listForMessage(maps.map((m) => `${m.label} [${(m.shape ?? []).slice(1).join('x')}]`), 40);
}

/** The layer a CAM method uses: the one named, or the default (last feature map larger than 1x1). */
export function resolveLayer(model: ImageModel, name?: string): LayerChoice {
  const maps = featureMaps(model);
  if (name === undefined) {
    const d = defaultCamLayer(maps);
    if (!d) fail('UNKNOWN_LAYER', `${model.name} has no conv feature map larger than 1x1, so CAM methods have no layer to weight.`);
    const label = maps.find((m) => m.name === d.name)!.label;
    return { name: label, tensor: d.name, shape: d.shape ?? [], isDefault: true };
  }
  const tensor = model.layers?.get(name) ?? name;
  const shape = model.shapes.get(tensor)?.shape;
  const known = maps.find((m) => m.name === tensor);
  if (!known && !isSpatialMap(shape)) {
    const what = shape ? `'${name}' is not a conv feature map (shape [${shape.join(', ')}])` : `'${name}' is not a layer of ${model.name}`;
    fail('UNKNOWN_LAYER', `${what}. Conv feature maps are: ${describe(maps)}. Run 'cnnlens info' to list them.`);
  }
  return { name, tensor, shape: shape ?? [], isDefault: false };
}
