/**
 * UMAP (McInnes, Healy & Melville 2018, "UMAP: Uniform Manifold Approximation and Projection") through
 * umap-js 1.4.0 (MIT, the PAIR-code port of umap-learn): approximate neighbours by NN-descent, a fuzzy
 * graph, then stochastic layout with negative sampling. Seeded through umap-js's `random` option.
 */
import { UMAP } from 'umap-js';
import { fail } from '../../errors.js';
import { Random } from '../../util/random.js';

export interface UmapOptions {
  /** default 15 */
  readonly neighbours?: number;
  /** default 0.1 */
  readonly minDist?: number;
  /** layout epochs; default umap-js's (200 for large data, 500 for small) */
  readonly epochs?: number;
  readonly seed?: number;
  readonly onProgress?: (epoch: number, total: number) => void;
}

/** Embeds n points of dimension d (row-major) in 2-D; returns n × 2 coordinates. */
export async function umap(data: Float32Array, n: number, d: number, options: UmapOptions = {}): Promise<Float64Array> {
  if (data.length !== n * d) fail('USAGE', `UMAP: ${data.length} values do not make ${n} points of dimension ${d}.`);
  const neighbours = options.neighbours ?? 15;
  if (n <= neighbours) fail('USAGE', `UMAP with ${neighbours} neighbours needs more than ${neighbours} points, got ${n}.`);
  const rnd = new Random(options.seed ?? 0);
  const u = new UMAP({ nComponents: 2, nNeighbors: neighbours, minDist: options.minDist ?? 0.1, random: () => rnd.next(), ...(options.epochs ? { nEpochs: options.epochs } : {}) });
  const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * d, (i + 1) * d)));
  const epochs = u.initializeFit(rows);
  for (let e = 0; e < epochs; e++) {
    u.step();
    if (options.onProgress && (e % 10 === 9 || e === epochs - 1)) options.onProgress(e + 1, epochs);
  }
  const emb = u.getEmbedding();
  const out = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = emb[i]![0]!;
    out[2 * i + 1] = emb[i]![1]!;
  }
  return out;
}
