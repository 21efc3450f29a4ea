/**
 * Writes a copy of an image classifier whose last conv layer's weights are multiplied by (1 + s n), n
 * standard normal from a seeded stream: a stand-in for a second version of a model, to try
 * `cnnlens diff` with. The copy keeps the model's metadata (input spec, class names) and its sidecar.
 *
 *   npx tsx scripts/perturb-model.ts [MODEL] OUT.onnx [--scale S] [--seed N]
 *
 * MODEL defaults to the built-in model; S defaults to 0.5, N to 1.
 */
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadImageModel } from '../src/model/load-file.js';
import { saveModel } from '../src/onnx/load.js';
import { floatTensor, tensorValues } from '../src/onnx/tensor.js';
import { Random } from '../src/util/random.js';

const { values, positionals } = parseArgs({ options: { scale: { type: 'string' }, seed: { type: 'string' } }, allowPositionals: true });
const [src, out] = positionals.length === 1 ? [undefined, positionals[0]] : positionals;
if (!out || !out.endsWith('.onnx')) throw new Error('usage: npx tsx scripts/perturb-model.ts [MODEL] OUT.onnx [--scale S] [--seed N]');
const { model } = await loadImageModel(src);
const conv = model.onnx.graph.nodes.filter((n) => n.opType === 'Conv').at(-1);
if (!conv) throw new Error(`${model.name} has no Conv node`);
const weight = conv.inputs[1]!;
const scale = Number(values.scale ?? 0.5);
const rnd = new Random(Number(values.seed ?? 1));
const initializers = model.onnx.graph.initializers.map((t) => (t.name === weight ? floatTensor(t.name, t.dims, tensorValues(t).map((v) => v * (1 + scale * rnd.normal()))) : t));
writeFileSync(out, saveModel({ ...model.onnx, graph: { ...model.onnx.graph, initializers } }));
if (src && existsSync(`${src}.cnnlens.json`)) copyFileSync(`${src}.cnnlens.json`, `${out}.cnnlens.json`);
console.log(`${out}: ${model.name} with the weights '${weight}' of Conv '${conv.name}' multiplied by (1 + ${scale} n)`);
