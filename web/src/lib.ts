/**
 * The library's public API as the explorer uses it. Every name here is exported by src/index.ts; they
 * are imported from their modules so that the bundles leave out the HDF5 reader (h5wasm, megabytes),
 * which load-model.ts imports only when a Keras file is opened.
 */
import { CnnlensError, type ErrorCode } from '../../src/errors.js';

export { CnnlensError, type ErrorCode };
export type { HostTensor } from '../../src/runtime/backend.js';
export type { RuntimeBackend } from '../../src/runtime/backend.js';
export type { Model } from '../../src/onnx/ir.js';
export { loadModel } from '../../src/onnx/load.js';
export { imageModel, type ImageModel, type OutputKind } from '../../src/model/image-model.js';
export type { InputSpec } from '../../src/model/input-spec.js';
export { checkParts, metadataSpec, resolveInputSpec, type SpecParts } from '../../src/model/spec-resolve.js';
export { featureMaps, resolveLayer } from '../../src/model/layers.js';
export { explain } from '../../src/methods/explain.js';
export { forward } from '../../src/methods/engine.js';
export { methods, getMethod } from '../../src/methods/registry.js';
export type { Method } from '../../src/methods/types.js';
export { convertKeras } from '../../src/import/convert.js';
export { tfjsSource } from '../../src/import/tfjs.js';
export type { RgbImage } from '../../src/image/types.js';
export { preprocess, fitToInput } from '../../src/image/preprocess.js';
export { COLORMAP_NAMES, defaultColormapFor, type ColormapName } from '../../src/render/colormaps.js';
export { normalizeMaps, normalizeMap, SIGN_MODES, type SignMode, type RawMap, type DisplayMap } from '../../src/render/normalize.js';
export { overlay, heatmapImage } from '../../src/render/overlay.js';
export { renderGrid } from '../../src/render/grid.js';
export { renderColorbar } from '../../src/render/colorbar.js';
export { encodePng } from '../../src/render/png.js';
export { writeNpy } from '../../src/data/npy.js';
// feature visualization
export { visualize } from '../../src/featurevis/visualize.js';
export { channel } from '../../src/featurevis/objectives.js';
export { toPicture } from '../../src/featurevis/image-batch.js';

export function fail(code: ErrorCode, message: string, cause?: unknown): never {
  throw new CnnlensError(code, message, cause === undefined ? undefined : { cause });
}
