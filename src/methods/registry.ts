/**
 * The one registry of methods: the CLI's choices, the explorer's picker, the README table and the test
 * matrix all read it. Frozen: adding a method means adding a file and a line here.
 */
import { fail, listForMessage } from '../errors.js';
import { camMethod } from './cam.js';
import { gradcamMethod } from './gradcam.js';
import { gradientMethod } from './gradient.js';
import { saliencyMethod } from './saliency.js';
import { occlusionMethod } from './occlusion.js';
import { riseMethod } from './rise.js';
import { gradientXInputMethod } from './gradient-x-input.js';
import { integratedGradientsMethod } from './integrated-gradients.js';
import { smoothgradMethod, smoothgradSquaredMethod, vargradMethod } from './smoothgrad.js';
import { guidedBackpropMethod } from './guided-backprop.js';
import { deconvnetMethod } from './deconvnet.js';
import { deepliftMethod } from './deeplift.js';
import { lrpMethod } from './lrp.js';
import { gradcamPlusPlusMethod } from './gradcam-plus-plus.js';
import { xgradcamMethod } from './xgradcam.js';
import { hirescamMethod } from './hirescam.js';
import { layercamMethod } from './layercam.js';
import { eigencamMethod } from './eigencam.js';
import { scorecamMethod } from './scorecam.js';
import { ablationcamMethod } from './ablationcam.js';
import { guidedGradcamMethod } from './guided-gradcam.js';
import type { Method } from './types.js';

const METHODS: readonly Method[] = Object.freeze([
  // gradients of the input, plain and with modified backward rules
  gradientMethod, saliencyMethod, gradientXInputMethod, guidedBackpropMethod, deconvnetMethod,
  integratedGradientsMethod, deepliftMethod, lrpMethod,
  // wrappers that average any input-space method over noisy copies
  smoothgradMethod, smoothgradSquaredMethod, vargradMethod,
  // class activation maps of a layer
  camMethod, gradcamMethod, gradcamPlusPlusMethod, xgradcamMethod, hirescamMethod, layercamMethod, eigencamMethod,
  scorecamMethod, ablationcamMethod, guidedGradcamMethod,
  // perturbation
  occlusionMethod, riseMethod,
]);

const BY_ID: ReadonlyMap<string, Method> = new Map(METHODS.map((m) => [m.id, m]));

export function methods(): readonly Method[] {
  return METHODS;
}

export function methodIds(): string[] {
  return METHODS.map((m) => m.id);
}

export function getMethod(id: string): Method {
  const m = BY_ID.get(id);
  if (!m) fail('UNKNOWN_METHOD', `unknown method '${id}'. Methods: ${listForMessage(methodIds(), 50)}.`);
  return m;
}
