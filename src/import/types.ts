/**
 * What the Keras / TF.js importers share. Every front end (TF.js `model.json` + shards, Keras 3
 * `.keras`, Keras 2 `.h5`) reads its container into a `KerasSource` — the model config as Keras wrote
 * it plus the weights of each layer in `layer.weights` order — and one converter turns that into ONNX.
 */
import type { Model } from '../onnx/ir.js';

/** One weight array, row-major, in Keras layout (e.g. a Conv2D kernel is [kh, kw, in, out]). */
export interface WeightArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * The weights of every layer. `path` is the chain of layer names from the outermost model down to the
 * layer (['dense_3'] for a top-level layer, ['mobilenetv2_1.00_224', 'Conv1'] inside a nested model).
 * Weights come in the order Keras lists them in `layer.weights`: Conv2D [kernel, bias?],
 * DepthwiseConv2D [depthwise_kernel, bias?], SeparableConv2D [depthwise_kernel, pointwise_kernel, bias?],
 * BatchNormalization [gamma?, beta?, moving_mean, moving_variance], Dense [kernel, bias?],
 * Normalization [mean, variance, count?]. A layer without weights returns [].
 */
export interface WeightSource {
  layerWeights(path: readonly string[]): readonly WeightArray[];
}

/** A Keras model as its file holds it. */
export interface KerasSource {
  /**
   * the `{class_name, config}` object of the model in the Keras 2 dialect (`inbound_nodes` as nested
   * arrays, `batch_input_shape`); the `.keras` reader rewrites Keras 3 configs into it
   */
  readonly modelConfig: unknown;
  readonly weights: WeightSource;
  /** 'tfjs' | 'keras' | 'h5', for messages and metadata */
  readonly format: 'tfjs' | 'keras' | 'h5';
  /** the Keras version the file says wrote it, if it says */
  readonly kerasVersion?: string;
}

/** What an importer returns. */
export interface ImportedModel {
  /**
   * The ONNX model. Its one input keeps Keras's layout: float32 [N, H, W, C] (named after the Keras
   * InputLayer); one Transpose turns it into NCHW and every op after works in NCHW. Each Keras layer's
   * output tensor is named exactly as the layer (a nested model's inner layers keep their own names;
   * only on a clash is the name prefixed with the nested model's name and '/'). 4-D layer outputs are
   * NCHW tensors. A Dense or Activation with a softmax/sigmoid activation becomes the linear op followed by a
   * separate Softmax/Sigmoid node (output named as the layer; the pre-activation tensor `<layer>/logits`),
   * so the pre-activation logit can be explained.
   */
  readonly model: Model;
  readonly format: KerasSource['format'];
  /** Keras layer name (and 'outer/inner' for nested layers) → ONNX tensor name of its output */
  readonly layers: ReadonlyMap<string, string>;
  /**
   * What the model itself says about its input: set when its first layers are Rescaling and/or
   * Normalization (the graph contains them, so the spec describes the values fed to the graph).
   */
  readonly inputHints: { readonly height?: number; readonly width?: number; readonly channels?: number; readonly hasPreprocessing: boolean };
}
