/**
 * Per-image change measures summed up over a set of pictures: per method, the mean and median of each
 * measure, and the pictures whose explanations changed most (largest L2 of the normalized difference,
 * i.e. the largest root-mean-square change; ties by lower rank correlation). Platform neutral.
 */
import type { MapChange } from './measures.js';

export const MEASURES = ['rankCorrelation', 'ssim', 'topIoU', 'l2'] as const satisfies readonly (keyof MapChange)[];

export interface Summary {
  readonly mean: number;
  readonly median: number;
}

export interface MethodAggregate {
  readonly method: string;
  readonly pictures: number;
  readonly measures: Readonly<Record<keyof MapChange, Summary>>;
  /** the pictures that changed most, most first: their names and measures */
  readonly mostChanged: readonly ({ readonly name: string } & MapChange)[];
}

export interface DiffAggregate {
  readonly pictures: number;
  /** pictures whose top class differs between the models */
  readonly predictionsChanged: number;
  readonly methods: readonly MethodAggregate[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const mean = (values: readonly number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN);

/** `rows`: per picture, its name, whether its prediction changed, and each method's measures. */
export function aggregateChanges(methods: readonly string[], rows: readonly { readonly name: string; readonly predictionChanged: boolean; readonly changes: Readonly<Record<string, MapChange>> }[], most = 5): DiffAggregate {
  return {
    pictures: rows.length,
    predictionsChanged: rows.filter((r) => r.predictionChanged).length,
    methods: methods.map((method) => {
      const per = rows.map((r) => ({ name: r.name, ...r.changes[method]! }));
      const measures = Object.fromEntries(MEASURES.map((k) => {
        const v = per.map((p) => p[k]);
        return [k, { mean: mean(v), median: median(v) }];
      })) as Record<keyof MapChange, Summary>;
      const mostChanged = [...per].sort((p, q) => q.l2 - p.l2 || p.rankCorrelation - q.rankCorrelation).slice(0, most);
      return { method, pictures: per.length, measures, mostChanged };
    }),
  };
}
