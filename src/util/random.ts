import { zigguratNormal } from './ziggurat.js';

/** A small seeded pseudo-random generator (mulberry32), so every random choice in cnnlens is reproducible. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return (this.int32() >>> 0) / 4294967296;
  }

  /** Uniform signed 32-bit integer. */
  int32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return t ^ (t >>> 14);
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.nonzeroUniform())) * Math.cos(2 * Math.PI * this.next());
  }

  /**
   * Fills out[i] = mean + sd * z_i with standard normal z_i drawn by the ziggurat method (a different
   * stream of deviates than normal()'s; several times faster for millions of values, e.g. SmoothGrad's noise).
   */
  fillNormals(out: Float32Array | Float64Array, sd = 1, mean: ArrayLike<number> | number = 0): void {
    const source = { int32: () => this.int32(), uniform: () => this.nonzeroUniform() };
    const constant = typeof mean === 'number' ? mean : 0;
    const means = typeof mean === 'number' ? undefined : mean;
    for (let i = 0; i < out.length; i++) out[i] = (means ? means[i]! : constant) + sd * zigguratNormal(source);
  }

  /** Uniform in (0, 1). */
  nonzeroUniform(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return u;
  }

  normals(n: number, scale = 1): number[] {
    return Array.from({ length: n }, () => this.normal() * scale);
  }

  uniforms(n: number, lo: number, hi: number): number[] {
    return Array.from({ length: n }, () => this.uniform(lo, hi));
  }
}
