/**
 * Messages between the page and the engine worker. The worker holds the model, the sessions and the
 * current image; the page holds only what it draws.
 */
import type { ErrorCode, InputSpec, OutputKind, RgbImage } from '../../src/index.js';

export interface LayerInfo {
  /** the name to show (Keras layer name for imported models) */
  readonly label: string;
  readonly tensor: string;
  /** [N, C, H, W] */
  readonly shape: readonly (number | string | null)[];
}

export interface ModelSummary {
  readonly name: string;
  readonly source: string;
  readonly input: InputSpec;
  readonly kind: OutputKind;
  readonly classes: number;
  readonly labels: readonly string[];
  readonly layers: readonly LayerInfo[];
  /** tensor of the layer CAM methods use by default ('' when the model has none) */
  readonly defaultLayer: string;
  /** what was decided about the input and why */
  readonly notes: readonly string[];
}

export interface PredictionInfo {
  readonly index: number;
  readonly label: string;
  readonly probability: number;
}

export interface ImageSummary {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** the picture the model sees (its input size) */
  readonly fitted: RgbImage;
}

export interface PredictOutput {
  readonly predictions: readonly PredictionInfo[];
  readonly forwardMs: number;
}

export interface MapTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

export interface MethodOutput {
  readonly method: string;
  readonly map: MapTensor;
  readonly layerMap?: MapTensor;
  readonly values?: Readonly<Record<string, readonly number[]>>;
  readonly ms: number;
}

export interface ExplainOutput {
  readonly predictions: readonly PredictionInfo[];
  readonly target: { readonly index: number; readonly minus?: number; readonly label: string; readonly score: number };
  readonly layer?: { readonly name: string; readonly tensor: string; readonly isDefault: boolean };
  readonly results: readonly MethodOutput[];
  readonly forwardMs: number;
  readonly totalMs: number;
  /** graphs ONNX Runtime compiled for this run (first runs of a plan) and the time it took */
  readonly compiled: { readonly count: number; readonly ms: number };
}

export interface ExplainRequest {
  readonly methods: readonly string[];
  /** a class index or name; undefined: the top prediction */
  readonly target?: number | string;
  /** with a target: explain the difference of its logit and this class's */
  readonly versus?: number;
  readonly layer?: string;
  readonly methodOptions: Readonly<Record<string, unknown>>;
}

export type ModelSource =
  /** a folder URL holding info.json ({ name, source, onnx, layers? }: file names relative to the folder) */
  | { readonly kind: 'url'; readonly base: string }
  | { readonly kind: 'files'; readonly files: readonly File[] };

export type Request =
  /**
   * `cancelFlag`: a shared Int32Array[1] the page writes the id of a run to cancel into; the worker
   * reads it after every chunk (a message would wait until the run ends: a busy worker takes none)
   */
  | { readonly type: 'init'; readonly wasmPaths: string; readonly ep: 'wasm' | 'webgpu'; readonly threads?: number; readonly spin?: boolean; readonly cancelFlag?: Int32Array }
  | { readonly type: 'loadModel'; readonly model: ModelSource }
  | { readonly type: 'setImage'; readonly file: Blob; readonly name: string }
  | { readonly type: 'predict' }
  | { readonly type: 'explain'; readonly request: ExplainRequest }
  | { readonly type: 'activations'; readonly tensor: string }
  /** a unit's visualization by optimization (activation maximization of its channel mean) */
  | { readonly type: 'visualizeUnit'; readonly tensor: string; readonly unit: number; readonly steps: number }
  | { readonly type: 'cancel'; readonly target: number };

export interface RuntimeSummary {
  readonly backend: string;
  readonly threads: number;
  readonly crossOriginIsolated: boolean;
  readonly webgpu: boolean;
}

export interface Responses {
  init: RuntimeSummary;
  loadModel: ModelSummary;
  setImage: ImageSummary;
  predict: PredictOutput;
  explain: ExplainOutput;
  activations: MapTensor;
  visualizeUnit: { readonly image: RgbImage; readonly start: number; readonly end: number; readonly ms: number };
  cancel: null;
}

export interface WireError {
  readonly code: ErrorCode | 'CANCELLED' | 'INTERNAL';
  readonly message: string;
}

export type Reply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly id: number; readonly progress: { readonly done: number; readonly total: number; readonly step: string } };
