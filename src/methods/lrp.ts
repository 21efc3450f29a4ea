/**
 * `lrp`: layer-wise relevance propagation (Bach et al. 2015, "On Pixel-Wise Explanations for Non-Linear
 * Classifier Decisions by Layer-Wise Relevance Propagation"; rules as in Montavon et al. 2019,
 * "Layer-Wise Relevance Propagation: An Overview", Sec. 10.2). The target's score is the relevance at
 * the output and is redistributed layer by layer down to the input, R_i = sum_j q_ij / sum_i' q_i'j R_j:
 * - epsilon (default): q_ij = x_i w_ij with eps sign(z_j) added to the denominator (Eq. 5);
 * - zplus: q_ij = (x_i w_ij)^+ (the z+ rule of deep Taylor decomposition, LRP-alpha1beta0).
 * The rule applies to every Conv, Gemm and MatMul (BatchNorm folded into its Conv first); ReLUs pass
 * relevance unchanged, max pooling is winner-take-all, average pooling proportional
 * (src/autodiff/rules/lrp.ts, implemented as relevance = x * modified gradient). Conservation:
 * sum_i R_i = score up to what biases and eps absorb; the residual is returned as `delta`.
 */
import { lrpEpsilonRules, LRP_DEFAULT_EPSILON, type RuleSetName } from '../autodiff/rulesets.js';
import type { HostTensor } from '../runtime/backend.js';
import { targetScores } from '../model/targets.js';
import { inputGradient } from './engine.js';
import type { Method } from './types.js';

export const lrpMethod: Method = {
  id: 'lrp',
  title: 'LRP',
  paper: 'Bach et al. 2015, "On Pixel-Wise Explanations ... by Layer-Wise Relevance Propagation"; Montavon et al. 2019, Eq. 5: R_i = sum_j x_i w_ij / (z_j + eps sign(z_j)) R_j, or z+: (x_i w_ij)^+ / sum (x_i\' w_i\'j)^+',
  answers: 'How is the class score distributed over the input values, layer by layer?',
  passes: '1 forward + 1 backward',
  needsLayer: false,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'relevance (shares of the logit)',
  options: [
    { name: 'lrp-rule', type: 'enum', default: 'epsilon', choices: ['epsilon', 'zplus'], help: 'the rule at Conv/Gemm/MatMul layers: epsilon (x_i w_ij / (z_j + eps sign z_j)) or zplus (positive contributions only) (default epsilon)' },
    { name: 'lrp-epsilon', type: 'number', default: LRP_DEFAULT_EPSILON, min: 0, help: `the epsilon-rule's stabilizer; larger values absorb weak, contradictory relevance (default ${LRP_DEFAULT_EPSILON})` },
  ],
  exposes: () => [],
  async explain(ctx) {
    const rules: RuleSetName = ctx.options['lrp-rule'] === 'zplus' ? 'lrp-zplus' : lrpEpsilonRules(ctx.options['lrp-epsilon'] as number);
    const g = (await inputGradient(ctx.model, ctx.input, ctx.targets, { ...ctx, rules })).data as Float32Array;
    const x = ctx.input.data as Float32Array;
    const n = ctx.input.dims[0]!;
    const per = x.length / n;
    const r = new Float32Array(x.length);
    const sums = new Array<number>(n).fill(0);
    for (let b = 0; b < n; b++) {
      let s = 0;
      for (let i = b * per; i < (b + 1) * per; i++) s += r[i] = x[i]! * g[i]!;
      sums[b] = s;
    }
    const score = targetScores(ctx.model, ctx.forward.logits.data as Float32Array, ctx.targets);
    const map: HostTensor = { type: 'float32', dims: [...ctx.input.dims], data: r };
    return { map, extra: { values: { delta: sums.map((s, b) => s - score[b]!) } } };
  },
};
