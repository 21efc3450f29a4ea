/** Similarity of two maps, as the sanity-check paper reports them (Adebayo et al. 2018, Sec. 3). Platform neutral. */

function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2; // ties share their mean rank
    i = j + 1;
  }
  return r;
}

/** Pearson correlation; 1 when both inputs are constant, 0 when only one is. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : saa === sbb ? 1 : 0;
}

/** Spearman rank correlation (Pearson correlation of the ranks, ties averaged), in [-1, 1]. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Structural similarity (Wang et al. 2004, Eq. 13) of two H x W maps, each first scaled to [0, 1] by its
 * own min and max, averaged over 7 x 7 windows (uniform weights, stride 1; the whole map when smaller),
 * with C1 = 0.01², C2 = 0.03².
 */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number): number {
  const norm = (v: ArrayLike<number>) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < v.length; i++) { lo = Math.min(lo, v[i]!); hi = Math.max(hi, v[i]!); }
    return Float64Array.from({ length: v.length }, (_, i) => (hi > lo ? (v[i]! - lo) / (hi - lo) : 0));
  };
  const x = norm(a);
  const y = norm(b);
  const C1 = 0.01 ** 2;
  const C2 = 0.03 ** 2;
  const wh = Math.min(7, height);
  const ww = Math.min(7, width);
  let total = 0;
  let count = 0;
  for (let r = 0; r + wh <= height; r++) {
    for (let c = 0; c + ww <= width; c++) {
      let mx = 0, my = 0;
      for (let i = r; i < r + wh; i++) for (let j = c; j < c + ww; j++) { mx += x[i * width + j]!; my += y[i * width + j]!; }
      const n = wh * ww;
      mx /= n;
      my /= n;
      let vx = 0, vy = 0, cxy = 0;
      for (let i = r; i < r + wh; i++) for (let j = c; j < c + ww; j++) {
        const dx = x[i * width + j]! - mx;
        const dy = y[i * width + j]! - my;
        vx += dx * dx;
        vy += dy * dy;
        cxy += dx * dy;
      }
      vx /= n - 1 || 1;
      vy /= n - 1 || 1;
      cxy /= n - 1 || 1;
      total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}
