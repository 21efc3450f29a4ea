/**
 * What a method is: metadata the CLI, the explorer, the README table and the tests read, and one
 * function from a prepared context (model, input batch, classes, forward pass) to a raw map.
 */
import type { HostTensor } from '../runtime/backend.js';
import type { ImageModel } from '../model/image-model.js';
import type { ClassTarget } from '../model/targets.js';
import type { RuleSetName } from '../autodiff/rulesets.js';
import type { ForwardResult, RunOptions } from './engine.js';
import type { OptionSpec, OptionValue } from './options.js';

export interface MethodInfo {
  readonly id: string;
  readonly title: string;
  /** the paper (authors, year, title) and the equation implemented */
  readonly paper: string;
  /** the question the map answers, in one sentence */
  readonly answers: string;
  /** cost in passes of the model, e.g. '1 forward + 1 backward' */
  readonly passes: string;
  /** true when the method weights a layer's feature maps (takes --layer) */
  readonly needsLayer: boolean;
  readonly usesGradients: boolean;
  /** 'input': one value per input element (the input's shape); 'spatial': one value per pixel [N, H, W] */
  readonly output: 'input' | 'spatial';
  /** true when negative values mean something (render with a diverging colormap) */
  readonly signed: boolean;
  /**
   * How displays should scale the map by default: 'zero' (from 0 to the top percentile; default),
   * 'min-max' (maps that sit on a large offset, e.g. RISE's expected probabilities), or
   * 'min-max-inverted' (LOW values mark what matters, e.g. occlusion's probability map: the hot end of
   * the colormap goes to the minimum).
   */
  readonly display?: 'zero' | 'min-max' | 'min-max-inverted';
  /** what the map's values are, for colorbars (e.g. 'max_c |d logit / d x|') */
  readonly units: string;
  /** the options the method reads (each is also a command-line flag) */
  readonly options?: readonly OptionSpec[];
}

export interface MethodContext extends RunOptions {
  readonly model: ImageModel;
  /** the preprocessed batch, float32 in the model's layout */
  readonly input: HostTensor;
  /** what is explained for each example: a class's score, or the difference of two */
  readonly targets: readonly ClassTarget[];
  /** the layer's tensor name (layer methods only; with several layers, the method runs once per layer) */
  readonly layer?: string;
  /** the forward pass, with the tensors `exposes` asked for */
  readonly forward: ForwardResult;
  /** this method's options, checked, with defaults filled in */
  readonly options: Readonly<Record<string, OptionValue>>;
}

export interface MethodResult {
  /** the raw map: input-shaped ('input' methods) or [N, H, W] at the input's resolution ('spatial') */
  readonly map: HostTensor;
  /** layer methods: the map at the layer's resolution [N, h, w], before upsampling */
  readonly layerMap?: HostTensor;
  /**
   * what else the method computed: further maps (written as `<input>.<method>.<name>.npy`, e.g.
   * occlusion's logit drop) and per-example values (in the summary, e.g. IG's completeness delta)
   */
  readonly extra?: {
    readonly maps?: Readonly<Record<string, HostTensor>>;
    readonly values?: Readonly<Record<string, readonly number[]>>;
  };
}

export interface Method extends MethodInfo {
  /**
   * true when the method needs d(score)/d(layer) with the standard rules: the forward pass then
   * computes it in the same call (see engine.forward)
   */
  readonly fusesLayerGradient?: boolean;
  /**
   * the rules of the input gradient the method reads, when it can take it from the forward call (see
   * input-gradient.ts); explain() fuses it there when no layer gradient is fused
   */
  readonly fusesInputGradient?: RuleSetName;
  /** false when the method never reads `ctx.forward` (wrappers then skip that forward pass); default true */
  readonly readsForward?: boolean;
  /** tensors the forward pass must expose for this method (given the layer, for layer methods) */
  exposes(model: ImageModel, layer: string | undefined): readonly string[];
  explain(ctx: MethodContext): Promise<MethodResult>;
}
