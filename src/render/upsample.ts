/**
 * Bilinear resizing of a single-channel map with half-pixel centres: output pixel i samples the input
 * at (i + 0.5) * in/out - 0.5, clamped to the edge. This is PyTorch's
 * `F.interpolate(mode='bilinear', align_corners=False)` (without antialiasing) and OpenCV's INTER_LINEAR,
 * the upsampling Grad-CAM implementations use to bring a layer's map to the input's resolution.
 */

interface Taps {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly frac: Float64Array;
}

function taps(inSize: number, outSize: number): Taps {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let i = 0; i < outSize; i++) {
    const src = Math.max(0, (i + 0.5) * scale - 0.5);
    const l = Math.min(Math.floor(src), inSize - 1);
    lo[i] = l;
    hi[i] = Math.min(l + 1, inSize - 1);
    frac[i] = src - l;
  }
  return { lo, hi, frac };
}

/** Resizes `map` ([h, w], row-major) to [H, W]. */
export function upsampleBilinear(map: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  const ty = taps(h, H);
  const tx = taps(w, W);
  for (let y = 0; y < H; y++) {
    const r0 = ty.lo[y]! * w;
    const r1 = ty.hi[y]! * w;
    const fy = ty.frac[y]!;
    for (let x = 0; x < W; x++) {
      const x0 = tx.lo[x]!;
      const x1 = tx.hi[x]!;
      const fx = tx.frac[x]!;
      const top = map[r0 + x0]! * (1 - fx) + map[r0 + x1]! * fx;
      const bottom = map[r1 + x0]! * (1 - fx) + map[r1 + x1]! * fx;
      out[y * W + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}
