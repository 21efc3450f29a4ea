/**
 * How a picture becomes the tensor a model takes: size, layout, value range and per-channel
 * mean/std. Pixels (0..255) are mapped linearly onto `range`, then `(x - mean[c]) / std[c]`.
 */

export type Layout = 'NCHW' | 'NHWC';

export interface InputSpec {
  readonly layout: Layout;
  readonly height: number;
  readonly width: number;
  /** 3 (RGB) or 1 (grayscale: the image is converted to luma first) */
  readonly channels: number;
  /** the values pixel 0 and pixel 255 map to, before mean/std; e.g. [0, 1] or [0, 255] or [-1, 1] */
  readonly range: readonly [number, number];
  /** per-channel mean subtracted after range mapping (length = channels); default zeros */
  readonly mean?: readonly number[];
  /** per-channel std divided by after subtracting the mean (length = channels); default ones */
  readonly std?: readonly number[];
  /**
   * How a picture of another size is fitted: 'center-crop' (resize the shorter side to the input size,
   * then crop the centre, as ImageNet evaluation does) or 'stretch' (resize both sides, ignoring aspect).
   */
  readonly resize: 'center-crop' | 'stretch';
  /** where the spec came from, so the CLI can say it: 'model', 'sidecar', 'options', 'default' */
  readonly source: string;
}
