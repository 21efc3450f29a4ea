/**
 * One bounded min-heap per unit, all units in flat typed arrays: the k best (value, example) pairs seen
 * so far for thousands of units at a constant memory of units × k entries. "Best" is a total order —
 * larger value first, then smaller example index — so the result does not depend on the order in which
 * examples arrive (a resumed search equals one run; a batched one equals a brute-force sort).
 */
export interface TopEntry {
  /** the example's index in the dataset */
  readonly index: number;
  readonly value: number;
  /** where the unit was strongest (conv units), else -1 */
  readonly y: number;
  readonly x: number;
}

export class TopK {
  readonly units: number;
  readonly k: number;
  readonly values: Float64Array;
  readonly indices: Int32Array;
  /** y × 65536 + x of the strongest position, -1 for dense units */
  readonly where: Int32Array;
  readonly sizes: Int32Array;

  constructor(units: number, k: number) {
    this.units = units;
    this.k = k;
    this.values = new Float64Array(units * k);
    this.indices = new Int32Array(units * k);
    this.where = new Int32Array(units * k);
    this.sizes = new Int32Array(units);
  }

  /** true when (va, ia) ranks below (vb, ib) */
  private static worse(va: number, ia: number, vb: number, ib: number): boolean {
    return va < vb || (va === vb && ia > ib);
  }

  /** Whether (value, index) would enter unit u's heap: cheap test before computing the position. */
  wouldEnter(u: number, value: number, index: number): boolean {
    if (this.sizes[u]! < this.k) return true;
    const r = u * this.k;
    return TopK.worse(this.values[r]!, this.indices[r]!, value, index);
  }

  push(u: number, value: number, index: number, where: number): void {
    const k = this.k;
    const base = u * k;
    const vs = this.values;
    const is = this.indices;
    const ws = this.where;
    let n = this.sizes[u]!;
    if (n < k) {
      // sift up from the end
      let i = n;
      this.sizes[u] = ++n;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!TopK.worse(value, index, vs[base + p]!, is[base + p]!)) break;
        vs[base + i] = vs[base + p]!;
        is[base + i] = is[base + p]!;
        ws[base + i] = ws[base + p]!;
        i = p;
      }
      vs[base + i] = value;
      is[base + i] = index;
      ws[base + i] = where;
      return;
    }
    if (!TopK.worse(vs[base]!, is[base]!, value, index)) return;
    // replace the root and sift down
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && TopK.worse(vs[base + r]!, is[base + r]!, vs[base + l]!, is[base + l]!) ? r : l;
      if (!TopK.worse(vs[base + c]!, is[base + c]!, value, index)) break;
      vs[base + i] = vs[base + c]!;
      is[base + i] = is[base + c]!;
      ws[base + i] = ws[base + c]!;
      i = c;
    }
    vs[base + i] = value;
    is[base + i] = index;
    ws[base + i] = where;
  }

  /** Unit u's entries, best first. */
  sorted(u: number): TopEntry[] {
    const out: TopEntry[] = [];
    for (let j = 0; j < this.sizes[u]!; j++) {
      const p = u * this.k + j;
      const w = this.where[p]!;
      out.push({ index: this.indices[p]!, value: this.values[p]!, y: w < 0 ? -1 : w >>> 16, x: w < 0 ? -1 : w & 0xffff });
    }
    return out.sort((a, b) => b.value - a.value || a.index - b.index);
  }

  toJSON(): { units: number; k: number; sizes: number[]; values: number[]; indices: number[]; where: number[] } {
    return { units: this.units, k: this.k, sizes: [...this.sizes], values: [...this.values], indices: [...this.indices], where: [...this.where] };
  }

  static fromJSON(o: { units: number; k: number; sizes: number[]; values: number[]; indices: number[]; where: number[] }): TopK {
    const t = new TopK(o.units, o.k);
    t.sizes.set(o.sizes);
    t.values.set(o.values);
    t.indices.set(o.indices);
    t.where.set(o.where);
    return t;
  }
}
