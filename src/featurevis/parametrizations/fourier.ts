/**
 * Fourier parametrization with frequency-decay preconditioning (Olah, Mordvintsev & Schubert 2017,
 * "Feature Visualization", Distill, section "Preconditioning and Parameterization"; Lucid's
 * `param.spatial.fft_image`). Each plane is the real part of the inverse DFT of a scaled spectrum:
 *
 *     x = Re( IDFT2( S . s ) )[:h, :w],     s(f) = sqrt(Gh Gw) / 4 / max(|f|, 1 / max(Gh, Gw))^decay
 *
 * on a Gh x Gw grid (powers of two at least h x w; the visible image is its top-left crop, so the
 * image does not wrap around at its edges). Scaling each frequency by 1/|f| makes gradient steps in
 * parameter space whiten the image's spectrum: low frequencies move as fast as high ones, so the
 * optimization finds structured patterns instead of high-frequency noise. S is complex, its real and
 * imaginary parts are the parameters [n, c, 2, Gh, Gw]; only S's Hermitian part reaches the image.
 *
 * Two planes go through one complex transform: for Hermitian spectra A, B, IDFT(A + iB) = a + ib with
 * a, b real; the adjoint splits DFT(ga + i gb) back into the transforms of ga and gb.
 */
import { imageBatch, type ImageBatch } from '../image-batch.js';
import { Fft2, nextPowerOfTwo } from '../../util/fft.js';
import type { Random } from '../../util/random.js';
import type { SpatialParam } from './types.js';

export interface FourierOptions {
  /** standard deviation of the initial spectrum; default 0.01 */
  readonly sd?: number;
  /** exponent of the 1/|f| preconditioning; default 1 */
  readonly decay?: number;
  readonly rng: Random;
}

/** The spectrum scale s(f) on a gh x gw grid (frequencies in cycles per pixel, numpy's fftfreq). */
export function spectrumScale(gh: number, gw: number, decay: number): Float64Array {
  const s = new Float64Array(gh * gw);
  const floor = 1 / Math.max(gh, gw);
  for (let ky = 0; ky < gh; ky++) {
    const fy = (ky <= gh / 2 ? ky : ky - gh) / gh;
    for (let kx = 0; kx < gw; kx++) {
      const fx = (kx <= gw / 2 ? kx : kx - gw) / gw;
      const f = Math.max(Math.hypot(fy, fx), floor);
      s[ky * gw + kx] = Math.sqrt(gh * gw) / 4 / f ** decay;
    }
  }
  return s;
}

export class FourierParam implements SpatialParam {
  readonly params: Float32Array;
  readonly gh: number;
  readonly gw: number;
  private readonly fft: Fft2;
  private readonly scale: Float64Array;
  /** index of -k for each k */
  private readonly neg: Uint32Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly out: ImageBatch;
  /** scratch: the scaled spectra of the two planes of one transform */
  private readonly sar: Float64Array;
  private readonly sai: Float64Array;
  private readonly sbr: Float64Array;
  private readonly sbi: Float64Array;
  /** the parameter gradient, reused by each backward() */
  private grad: Float32Array | undefined;

  constructor(readonly n: number, readonly c: number, readonly h: number, readonly w: number, options: FourierOptions) {
    this.gh = nextPowerOfTwo(h);
    this.gw = nextPowerOfTwo(w);
    const size = this.gh * this.gw;
    this.params = Float32Array.from(options.rng.normals(n * c * 2 * size, options.sd ?? 0.01));
    this.fft = new Fft2(this.gh, this.gw);
    this.scale = spectrumScale(this.gh, this.gw, options.decay ?? 1);
    this.neg = new Uint32Array(size);
    for (let ky = 0; ky < this.gh; ky++) {
      for (let kx = 0; kx < this.gw; kx++) this.neg[ky * this.gw + kx] = ((this.gh - ky) % this.gh) * this.gw + ((this.gw - kx) % this.gw);
    }
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    this.out = imageBatch(n, c, h, w);
    this.sar = new Float64Array(size);
    this.sai = new Float64Array(size);
    this.sbr = new Float64Array(size);
    this.sbi = new Float64Array(size);
  }

  forward(): ImageBatch {
    const planes = this.n * this.c;
    const size = this.gh * this.gw;
    const { re, im, neg, scale, params } = this;
    for (let p = 0; p < planes; p += 2) {
      const a = p * 2 * size;
      const hasB = p + 1 < planes;
      const b = (p + 1) * 2 * size;
      // the scaled spectra S . s, each product once (the same products the sums below used to form)
      const { sar, sai, sbr, sbi } = this;
      for (let k = 0; k < size; k++) {
        const sk = scale[k]!;
        sar[k] = params[a + k]! * sk;
        sai[k] = params[a + size + k]! * sk;
      }
      if (hasB) {
        for (let k = 0; k < size; k++) {
          const sk = scale[k]!;
          sbr[k] = params[b + k]! * sk;
          sbi[k] = params[b + size + k]! * sk;
        }
      } else {
        sbr.fill(0);
        sbi.fill(0);
      }
      for (let k = 0; k < size; k++) {
        const m = neg[k]!;
        // Hermitian parts of the scaled spectra: (S[k] + conj S[-k]) / 2
        const ar = 0.5 * (sar[k]! + sar[m]!);
        const ai = 0.5 * (sai[k]! - sai[m]!);
        const br = 0.5 * (sbr[k]! + sbr[m]!);
        const bi = 0.5 * (sbi[k]! - sbi[m]!);
        re[k] = ar - bi;
        im[k] = ai + br;
      }
      this.fft.transform(re, im, true, { neededColumns: this.w });
      this.crop(re, p);
      if (hasB) this.crop(im, p + 1);
    }
    return this.out;
  }

  private crop(src: Float64Array, plane: number): void {
    const { h, w, gw } = this;
    const dst = this.out.data;
    const base = plane * h * w;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) dst[base + y * w + x] = src[y * gw + x]!;
  }

  backward(g: ImageBatch): Float32Array {
    const planes = this.n * this.c;
    const size = this.gh * this.gw;
    const { h, w, gw, re, im, neg, scale } = this;
    // every entry is written below, so the buffer of the previous call can be reused
    const out = (this.grad ??= new Float32Array(this.params.length));
    const inv = 1 / size;
    for (let p = 0; p < planes; p += 2) {
      const hasB = p + 1 < planes;
      re.fill(0);
      im.fill(0);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          re[y * gw + x] = g.data[p * h * w + y * w + x]!;
          if (hasB) im[y * gw + x] = g.data[(p + 1) * h * w + y * w + x]!;
        }
      }
      this.fft.transform(re, im, false, { nonzeroRows: h });
      const a = p * 2 * size;
      const b = (p + 1) * 2 * size;
      for (let k = 0; k < size; k++) {
        const m = neg[k]!;
        const sk = scale[k]! * inv;
        // DFT(ga) = (Z[k] + conj Z[-k]) / 2, DFT(gb) = (Z[k] - conj Z[-k]) / 2i
        out[a + k] = sk * 0.5 * (re[k]! + re[m]!);
        out[a + size + k] = sk * 0.5 * (im[k]! - im[m]!);
        if (hasB) {
          out[b + k] = sk * 0.5 * (im[k]! + im[m]!);
          out[b + size + k] = -sk * 0.5 * (re[k]! - re[m]!);
        }
      }
    }
    return out;
  }
}
