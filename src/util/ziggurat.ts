/**
 * Standard normal deviates by the ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat Method for
 * Generating Random Variables", J. Stat. Softw. 5(8)), 128 layers. About ten times faster than
 * Box-Muller in V8: most draws cost one 32-bit integer, one table lookup, one compare and one multiply.
 * The layer index comes from a second, independent draw (Doornik 2005 showed that taking it from the
 * low bits of the same integer correlates layer and value).
 */

const LAYERS = 128;
/** right edge of the base strip, and the area of each layer, for 128 layers (Marsaglia & Tsang) */
const R = 3.442619855899;
const V = 9.91256303526217e-3;
const M = 2 ** 31;

/** kn: integer thresholds for the fast accept; wn: integer → x scale per layer; fn: density at each layer's edge */
const kn = new Uint32Array(LAYERS);
const wn = new Float64Array(LAYERS);
const fn = new Float64Array(LAYERS);
{
  let d = R;
  let t = R;
  const q = V / Math.exp(-0.5 * d * d);
  kn[0] = Math.floor((d / q) * M);
  kn[1] = 0;
  wn[0] = q / M;
  wn[LAYERS - 1] = d / M;
  fn[0] = 1;
  fn[LAYERS - 1] = Math.exp(-0.5 * d * d);
  for (let i = LAYERS - 2; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(V / d + Math.exp(-0.5 * d * d)));
    kn[i + 1] = Math.floor((d / t) * M);
    t = d;
    fn[i] = Math.exp(-0.5 * d * d);
    wn[i] = d / M;
  }
}

/**
 * One N(0, 1) deviate from `source.int32` (uniform signed 32-bit integers) and `source.uniform`
 * (uniform in (0, 1)), both drawn from the caller's seeded stream.
 */
export function zigguratNormal(source: { int32(): number; uniform(): number }): number {
  for (;;) {
    const hz = source.int32();
    const iz = source.int32() & (LAYERS - 1);
    // the rectangle inside the layer: accept at once (~98.8% of draws)
    if (Math.abs(hz) < kn[iz]!) return hz * wn[iz]!;
    if (iz === 0) {
      // the tail beyond R (Marsaglia 1964)
      let x: number;
      let y: number;
      do {
        x = -Math.log(source.uniform()) / R;
        y = -Math.log(source.uniform());
      } while (y + y < x * x);
      return hz > 0 ? R + x : -R - x;
    }
    // the wedge between the rectangle and the density
    const x = hz * wn[iz]!;
    if (fn[iz]! + source.uniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
  }
}
