/**
 * `guided-gradcam`: Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", Sec. 3.1: Guided Grad-CAM is the element-wise product of Guided
 * Backpropagation (Springenberg et al. 2015: the input gradient with every ReLU passing only positive
 * gradients where its input was positive; the engine's 'guided' rules) and Grad-CAM upsampled
 * bilinearly to the input's resolution, the same Grad-CAM value for every colour channel of a pixel:
 *   map(c, i, j) = Grad-CAM(i, j) * GB(c, i, j).
 * Input-shaped and signed (guided gradients through the first layer's weights can be negative); the
 * layer-resolution Grad-CAM is returned as `layerMap`. Use it for class-discriminative detail finer
 * than the layer's grid.
 */
import { inputGradient } from './engine.js';
import { gradcamMethod } from './gradcam.js';
import type { Method } from './types.js';

export const guidedGradcamMethod: Method = {
  id: 'guided-gradcam',
  title: 'Guided Grad-CAM',
  paper: 'Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization", Sec. 3.1: Guided Backpropagation * upsampled Grad-CAM',
  answers: 'Which fine input details, inside the regions Grad-CAM finds, support the class?',
  passes: '1 forward + 1 backward through the layers above the chosen one + 1 forward and backward with guided ReLUs',
  needsLayer: true,
  usesGradients: true,
  output: 'input',
  signed: true,
  units: 'Grad-CAM(i,j) * guided d logit / d x',
  exposes: gradcamMethod.exposes,
  fusesLayerGradient: true,
  async explain(ctx) {
    const cam = await gradcamMethod.explain(ctx);
    const guided = await inputGradient(ctx.model, ctx.input, ctx.targets, { ...ctx, rules: 'guided' });
    const spec = ctx.model.input;
    const { height: H, width: W, channels: C } = spec;
    const g = guided.data as Float32Array;
    const m = cam.map.data as Float32Array;
    const out = new Float32Array(g.length);
    const perExample = C * H * W;
    for (let e = 0; e < g.length; e++) {
      const b = Math.floor(e / perExample);
      const r = e % perExample;
      const pixel = spec.layout === 'NCHW' ? r % (H * W) : Math.floor(r / C);
      out[e] = g[e]! * m[b * H * W + pixel]!;
    }
    return { map: { type: 'float32', dims: guided.dims, data: out }, ...(cam.layerMap ? { layerMap: cam.layerMap } : {}) };
  },
};
