/**
 * The finite-difference oracle: central differences of L(x) = sum(seed * f(x)) for every input
 * element, compared with the gradient graph cnnlens emits.
 */
import { differentiate, type DifferentiateOptions } from '../../src/autodiff/differentiate.js';
import type { Model } from '../../src/onnx/ir.js';
import { Random } from '../../src/util/random.js';
import { run, session, relErr, type Feed } from './ort.js';

export interface FdCase {
  model: Model;
  /** values for every graph input; those listed in `wrt` are differentiated */
  feeds: Record<string, Feed>;
  wrt: string[];
  dtype: 'float32' | 'float64';
  /** finite-difference step */
  h: number;
  rules?: DifferentiateOptions['rules'];
  forms?: DifferentiateOptions['forms'];
  seedRandom?: number;
}

export interface FdResult {
  /** max |analytic - fd| / max |fd| over all wrt tensors */
  error: number;
  analytic: Record<string, Float64Array>;
  numeric: Record<string, Float64Array>;
}

export async function checkGradient(c: FdCase): Promise<FdResult> {
  const outName = c.model.graph.outputs[0]!.name;
  const d = differentiate(c.model, { wrt: c.wrt, rules: c.rules ?? 'standard', ...(c.forms ? { forms: c.forms } : {}) });
  const fwd = await session(c.model);
  const base = await run(fwd, c.feeds, c.dtype);
  const outDims = base[outName]!.dims;
  const rnd = new Random(c.seedRandom ?? 7);
  const seed = rnd.normals(base[outName]!.data.length);
  const bwd = await session(d.model);
  const res = await run(bwd, { ...c.feeds, [d.seeds[0]!.input]: { dims: outDims, data: seed } }, c.dtype);
  const loss = async (feeds: Record<string, Feed>) => {
    const y = (await run(fwd, feeds, c.dtype))[outName]!.data;
    let s = 0;
    for (let i = 0; i < y.length; i++) s += seed[i]! * y[i]!;
    return s;
  };
  const analytic: Record<string, Float64Array> = {};
  const numeric: Record<string, Float64Array> = {};
  let error = 0;
  for (const w of c.wrt) {
    const x = c.feeds[w]!;
    const fd = new Float64Array(x.data.length);
    for (let i = 0; i < x.data.length; i++) {
      const plus = Array.from(x.data);
      const minus = Array.from(x.data);
      plus[i] = plus[i]! + c.h;
      minus[i] = minus[i]! - c.h;
      const lp = await loss({ ...c.feeds, [w]: { dims: x.dims, data: plus } });
      const lm = await loss({ ...c.feeds, [w]: { dims: x.dims, data: minus } });
      fd[i] = (lp - lm) / (2 * c.h);
    }
    const g = res[`grad:${w}`]!.data;
    analytic[w] = g;
    numeric[w] = fd;
    error = Math.max(error, relErr(g, fd));
  }
  await fwd.release();
  await bwd.release();
  return { error, analytic, numeric };
}
