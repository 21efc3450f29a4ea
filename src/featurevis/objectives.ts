/**
 * Objectives as an algebra (Lucid's `optvis.objectives`): a weighted sum of terms, each one number per
 * example computed from a tensor of the model. `channel('block_6_expand', 12).minus(diversity(...).times(0.5))`.
 * An objective is compiled into the graph (see `emitObjective`): its per-example values become a graph
 * output, and their sum is what the backward pass is seeded with, so one runtime call returns the
 * objective and its gradient for a whole batch.
 *
 * Terms (T = the layer's tensor, [N, C, H, W] or [N, units]):
 * - neuron(layer, c, x, y): T[n, c, y, x] (default: the centre position)
 * - channel(layer, c): mean over positions of T[n, c]  (a dense layer: its unit c)
 * - layer(layer): mean of T^2 (DeepDream's objective, Mordvintsev et al. 2015)
 * - classLogit(k): the pre-softmax logit of class k (Simonyan et al. 2013, Eq. 1); class 0 of a single
 *   sigmoid unit is -logit
 * - direction(layer, v): mean over positions of <T[n, :, y, x], v>  (Olah et al. 2017, "neuron
 *   combinations")
 * - diversity(layer): -(1/B) sum over other examples m of cos(G_n, G_m), G the Gram matrix of T's
 *   channels (Lucid's diversity; summed over n it is Lucid's batch objective). Needs a fixed batch.
 * - match(layer): -||T - T0||^2 / ||T0||^2, T0 fed per example (feature inversion, Mahendran &
 *   Vedaldi 2015, Eq. 1 normalized as in their Sec. 3)
 * `.forExample(b)` restricts an objective to example b (a grid of channels in one batch).
 */
import { fail } from '../errors.js';

export type Term =
  | { readonly kind: 'neuron'; readonly layer: string; readonly channel: number; readonly x?: number; readonly y?: number }
  | { readonly kind: 'channel'; readonly layer: string; readonly channel: number }
  | { readonly kind: 'layer'; readonly layer: string }
  | { readonly kind: 'class'; readonly index: number }
  | { readonly kind: 'direction'; readonly layer: string; readonly vector: readonly number[] }
  | { readonly kind: 'diversity'; readonly layer: string }
  | { readonly kind: 'match'; readonly layer: string };

export interface WeightedTerm {
  readonly weight: number;
  readonly term: Term;
  /** only this example of the batch (default: every example) */
  readonly example?: number;
}

export class Objective {
  constructor(readonly terms: readonly WeightedTerm[]) {
    if (terms.length === 0) fail('USAGE', 'an objective needs at least one term.');
    for (const t of terms) if (!Number.isFinite(t.weight)) fail('USAGE', `objective weights must be finite, got ${t.weight}.`);
  }

  plus(other: Objective): Objective {
    return new Objective([...this.terms, ...other.terms]);
  }

  minus(other: Objective): Objective {
    return this.plus(other.times(-1));
  }

  times(k: number): Objective {
    return new Objective(this.terms.map((t) => ({ ...t, weight: t.weight * k })));
  }

  /** The objective for example `b` only (zero for the others). */
  forExample(b: number): Objective {
    if (!(Number.isInteger(b) && b >= 0)) fail('USAGE', `forExample: the example must be a non-negative integer, got ${b}.`);
    return new Objective(this.terms.map((t) => {
      if (t.example !== undefined && t.example !== b) fail('USAGE', `a term already restricted to example ${t.example} cannot be restricted to example ${b}.`);
      return { ...t, example: b };
    }));
  }

  /** Tensors (as named by the user) the objective reads; 'logits' stands for the model's logits. */
  get layers(): string[] {
    return [...new Set(this.terms.map((t) => (t.term.kind === 'class' ? 'logits' : t.term.layer)))];
  }

  /** A canonical string: equal objectives compile to the same graph. */
  get key(): string {
    return JSON.stringify(this.terms.map((t) => [t.weight, t.example ?? null, t.term]));
  }

  /** Readable form, e.g. "channel(conv3, 5) - 0.5 * diversity(conv3)". */
  toString(): string {
    return this.terms.map((t, i) => {
      const w = Math.abs(t.weight);
      const sign = t.weight < 0 ? (i === 0 ? '-' : ' - ') : i === 0 ? '' : ' + ';
      return `${sign}${w === 1 ? '' : `${w} * `}${describeTerm(t.term)}${t.example !== undefined ? `[example ${t.example}]` : ''}`;
    }).join('');
  }
}

export function describeTerm(t: Term): string {
  switch (t.kind) {
    case 'neuron': return `neuron(${t.layer}, ${t.channel}${t.x !== undefined ? `, x=${t.x}, y=${t.y ?? '?'}` : ''})`;
    case 'channel': return `channel(${t.layer}, ${t.channel})`;
    case 'layer': return `layer(${t.layer})`;
    case 'class': return `classLogit(${t.index})`;
    case 'direction': return `direction(${t.layer}, [${t.vector.length} values])`;
    case 'diversity': return `diversity(${t.layer})`;
    case 'match': return `match(${t.layer})`;
  }
}

const one = (term: Term) => new Objective([{ weight: 1, term }]);

function index(what: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) fail('USAGE', `${what} must be a non-negative integer, got ${v}.`);
}

export function neuron(layer: string, channel: number, x?: number, y?: number): Objective {
  index('neuron: the channel', channel);
  if ((x === undefined) !== (y === undefined)) fail('USAGE', 'neuron: give both x and y, or neither (the centre).');
  if (x !== undefined) { index('neuron: x', x); index('neuron: y', y!); }
  return one({ kind: 'neuron', layer, channel, ...(x !== undefined ? { x, y: y! } : {}) });
}

export function channel(layer: string, c: number): Objective {
  index('channel: the channel', c);
  return one({ kind: 'channel', layer, channel: c });
}

export function layer(name: string): Objective {
  return one({ kind: 'layer', layer: name });
}

export function classLogit(k: number): Objective {
  index('classLogit: the class', k);
  return one({ kind: 'class', index: k });
}

export function direction(layerName: string, vector: readonly number[]): Objective {
  if (vector.length === 0 || vector.some((v) => !Number.isFinite(v))) fail('USAGE', 'direction: the vector must hold finite numbers.');
  return one({ kind: 'direction', layer: layerName, vector: [...vector] });
}

export function diversity(layerName: string): Objective {
  return one({ kind: 'diversity', layer: layerName });
}

export function match(layerName: string): Objective {
  return one({ kind: 'match', layer: layerName });
}

/** The sum of objectives. */
export function sum(...objectives: readonly Objective[]): Objective {
  if (objectives.length === 0) fail('USAGE', 'sum: give at least one objective.');
  return objectives.slice(1).reduce((a, b) => a.plus(b), objectives[0]!);
}

/**
 * Parses the command line's objective language: terms joined by + and -, each optionally
 * `weight *`: channel(L, c), neuron(L, c[, x, y]), layer(L), class(k), diversity(L).
 */
export function parseObjective(text: string): Objective {
  const re = /\s*([+-])?\s*(?:([0-9.eE+-]+)\s*\*\s*)?(neuron|channel|layer|class|diversity)\(([^)]*)\)\s*/y;
  const parts: Objective[] = [];
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m || (parts.length > 0 && !m[1])) fail('USAGE', `cannot read the objective '${text}' at '${text.slice(pos)}'; write e.g. "channel(L, 3) - 0.5 * diversity(L)" with terms neuron(L, c[, x, y]), channel(L, c), layer(L), class(k), diversity(L).`);
    const args = m[4]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const num = (s: string | undefined, what: string) => {
      const v = Number(s);
      if (s === undefined || !Number.isInteger(v)) fail('USAGE', `objective '${m[0].trim()}': ${what} must be an integer, got '${s ?? ''}'.`);
      return v;
    };
    let o: Objective;
    switch (m[3]) {
      case 'neuron': o = args.length >= 4 ? neuron(args[0]!, num(args[1], 'the channel'), num(args[2], 'x'), num(args[3], 'y')) : neuron(args[0] ?? '', num(args[1], 'the channel')); break;
      case 'channel': o = channel(args[0] ?? '', num(args[1], 'the channel')); break;
      case 'layer': o = layer(args[0] ?? ''); break;
      case 'class': o = classLogit(num(args[0], 'the class')); break;
      default: o = diversity(args[0] ?? '');
    }
    const w = m[2] !== undefined ? Number(m[2]) : 1;
    if (!Number.isFinite(w)) fail('USAGE', `objective: bad weight '${m[2]}'.`);
    parts.push(o.times(m[1] === '-' ? -w : w));
    pos = re.lastIndex;
  }
  if (parts.length === 0) fail('USAGE', 'the objective is empty.');
  return sum(...parts);
}
