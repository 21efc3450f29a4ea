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

const tapCache = new Map<string, Taps>();

/** The taps for one axis, cached: explaining many images of one size reuses them. */
function taps(inSize: number, outSize: number): Taps {
  const key = `${inSize}:${outSize}`;
  let t = tapCache.get(key);
  if (!t) {
    if (tapCache.size > 64) tapCache.clear();
    tapCache.set(key, (t = computeTaps(inSize, outSize)));
  }
  return t;
}

function computeTaps(inSize: number, outSize: number): Taps {
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

/** Resizes `map` ([h, w], row-major) to [H, W]: rows first (h x W), then columns. */
export function upsampleBilinear(map: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const tx = taps(w, W);
  const ty = taps(h, H);
  const rows = new Float64Array(h * W);
  for (let y = 0; y < h; y++) {
    const r = y * w;
    const o = y * W;
    for (let x = 0; x < W; x++) {
      const fx = tx.frac[x]!;
      rows[o + x] = map[r + tx.lo[x]!]! * (1 - fx) + map[r + tx.hi[x]!]! * fx;
    }
  }
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const r0 = ty.lo[y]! * W;
    const r1 = ty.hi[y]! * W;
    const fy = ty.frac[y]!;
    const o = y * W;
    for (let x = 0; x < W; x++) out[o + x] = rows[r0 + x]! * (1 - fy) + rows[r1 + x]! * fy;
  }
  return out;
}
