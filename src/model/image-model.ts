/**
 * An image classifier as cnnlens explains it: the ONNX graph plus what the graph alone does not say —
 * how pictures become its input (InputSpec), its class names, which tensor holds the logits and how
 * its output turns into probabilities.
 */
import { fail } from '../errors.js';
import { GraphIndex } from '../onnx/graph.js';
import type { Dim, Model } from '../onnx/ir.js';
import { inferShapes, type ShapeInfo } from '../onnx/shapes.js';
import type { InputSpec } from './input-spec.js';
import { logitTensor } from './logits.js';

/**
 * - 'softmax': the output is a softmax over the logits (explained: the logit of the class)
 * - 'sigmoid-binary': one sigmoid unit; class 1 is explained as +logit and class 0 as -logit
 * - 'sigmoid-multilabel': independent sigmoids, one per class
 * - 'logits': the output is already unnormalized scores; probabilities shown are their softmax
 */
export type OutputKind = 'softmax' | 'sigmoid-binary' | 'sigmoid-multilabel' | 'logits';

export interface OutputInfo {
  /** the model's output tensor */
  readonly name: string;
  /** the tensor explained (the pre-activation logits) */
  readonly logits: string;
  readonly kind: OutputKind;
  /** classes the user can target (2 for a single-sigmoid binary head) */
  readonly classes: number;
}

export interface ImageModel {
  readonly onnx: Model;
  /** what to call the model in messages and summaries (its file name, or 'nsfwjs MobileNetV2') */
  readonly name: string;
  readonly inputName: string;
  readonly input: InputSpec;
  readonly output: OutputInfo;
  /** one name per class, when known */
  readonly labels?: readonly string[];
  /** layer names as the user knows them (Keras names) → tensor names; ONNX models use tensor names */
  readonly layers?: ReadonlyMap<string, string>;
  /** where the model came from, for summaries: a path, or the package it was imported from */
  readonly source: string;
  /** inferred shapes of every tensor for this input size (batch symbolic 'N') */
  readonly shapes: ReadonlyMap<string, ShapeInfo>;
}

/** The shape the model declares for its single image input. */
export function declaredInput(model: Model): { name: string; shape: readonly Dim[] } {
  const feeds = new GraphIndex(model.graph).feeds;
  if (feeds.length !== 1) {
    fail('ONNX_UNSUPPORTED', `the model has ${feeds.length} inputs (${feeds.map((f) => f.name).join(', ') || 'none'}); cnnlens explains single-input image models.`);
  }
  const v = feeds[0]!;
  const shape = v.type?.shape;
  if (!shape || shape.length !== 4) {
    fail('ONNX_UNSUPPORTED', `the model's input '${v.name}' has ${shape ? `rank ${shape.length}` : 'no declared shape'}; cnnlens explains models that take a batch of images [N, C, H, W] or [N, H, W, C].`);
  }
  return { name: v.name, shape };
}

/** Builds the ImageModel once the input spec is settled. */
export function imageModel(onnx: Model, parts: { name: string; source: string; input: InputSpec; labels?: readonly string[]; layers?: ReadonlyMap<string, string> }): ImageModel {
  const { name: inputName } = declaredInput(onnx);
  const spec = parts.input;
  const shape: Dim[] = spec.layout === 'NCHW' ? ['N', spec.channels, spec.height, spec.width] : ['N', spec.height, spec.width, spec.channels];
  const shapes = inferShapes(onnx, { [inputName]: shape });
  const out = onnx.graph.outputs[0];
  if (!out) fail('ONNX_UNSUPPORTED', `the model has no output.`);
  const choice = logitTensor(onnx, out.name);
  const logitShape = shapes.get(choice.tensor)?.shape;
  if (!logitShape || logitShape.length !== 2 || typeof logitShape[1] !== 'number') {
    fail('ONNX_UNSUPPORTED', `the model's output '${out.name}' has shape [${(logitShape ?? []).join(', ')}] for this input; cnnlens explains classifiers with a [batch, classes] output.`);
  }
  const units = logitShape[1];
  const kind: OutputKind = choice.stripped === 'Sigmoid' ? (units === 1 ? 'sigmoid-binary' : 'sigmoid-multilabel') : choice.stripped ? 'softmax' : 'logits';
  const classes = kind === 'sigmoid-binary' ? 2 : units;
  if (parts.labels && parts.labels.length !== classes) {
    fail('USAGE', `${parts.labels.length} class names were given, but the model has ${classes} classes.`);
  }
  return {
    onnx,
    name: parts.name,
    source: parts.source,
    inputName,
    input: spec,
    output: { name: out.name, logits: choice.tensor, kind, classes },
    ...(parts.labels ? { labels: parts.labels } : {}),
    ...(parts.layers ? { layers: parts.layers } : {}),
    shapes,
  };
}
