import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readNpyFile } from '../data/npy-file.js';
import { writeNpy } from '../data/npy.js';
import { CnnlensError } from '../errors.js';
import { DType, makeModel, saveModel } from '../onnx/index.js';
import { hostTensor, type HostTensor, type RuntimeBackend } from '../runtime/backend.js';
import { gradientCommand, parseGradientArgs, type GradientJobOptions } from './gradient.js';

const fakeBackend: RuntimeBackend = { name: 'fake', createSession: () => Promise.reject(new Error('not used')) };

describe('cnnlens gradient', () => {
  let dir: string;
  let model: string;
  let input: string;
  let seed: string;
  const p = (name: string) => join(dir, name);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnnlens-grad-'));
    model = p('m.onnx');
    input = p('x.npy');
    seed = p('seed.npy');
    writeFileSync(model, saveModel(makeModel({
      nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
      inputs: [{ name: 'x', type: { elemType: DType.FLOAT, shape: [1, 3] } }],
      outputs: [{ name: 'y', type: { elemType: DType.FLOAT, shape: [1, 3] } }],
    })));
    writeFileSync(input, writeNpy(hostTensor('float32', [1, 3], new Float32Array([-1, 2, 3]))));
    writeFileSync(seed, writeNpy(hostTensor('float32', [1, 3], new Float32Array([0, 1, 0]))));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const base = () => ['--model', model, '--input', input, '--target', '2', '--out', p('g.npy')];
  const usage = (argv: string[], pattern: RegExp) =>
    assert.throws(() => parseGradientArgs(argv), (e: unknown) => e instanceof CnnlensError && e.code === 'USAGE' && pattern.test(e.message), argv.join(' '));

  it('parses a full command line', () => {
    assert.deepEqual(parseGradientArgs(base()), { modelPath: model, inputPath: input, target: { kind: 'class', index: 2 }, rules: 'standard', outPath: p('g.npy') });
    const a = parseGradientArgs([...base(), '--wrt', 'conv5', '--rules', 'guided', '--threads', '3', '--target', seed]);
    assert.deepEqual(a, { modelPath: model, inputPath: input, target: { kind: 'seed', path: seed }, rules: 'guided', outPath: p('g.npy'), wrt: 'conv5', threads: 3 });
    assert.equal(parseGradientArgs(['--help']), undefined);
    assert.equal(parseGradientArgs(['-h', '--model', 'whatever']), undefined);
  });

  it('rejects bad usage with USAGE errors', () => {
    usage(['--input', input, '--target', '1', '--out', p('g.npy')], /needs --model/);
    usage(['--model', model, '--target', '1', '--out', p('g.npy')], /needs --input/);
    usage(['--model', model, '--input', input, '--out', p('g.npy')], /needs --target/);
    usage(['--model', model, '--input', input, '--target', '1'], /needs --out/);
    usage([...base(), '--target', 'cat'], /class index or the path.*'cat' is neither/);
    usage([...base(), '--target', '1.5'], /neither/);
    usage([...base(), '--target=-1'], /0 or more/);
    usage([...base(), '--rules', 'lrp'], /standard, guided, deconvnet; got 'lrp'/);
    for (const t of ['0', '-2', 'two', '1.5', '5000']) usage([...base(), `--threads=${t}`], /--threads must be an integer from 1 to 1024/);
    usage([...base(), '--wrt', ''], /--wrt needs a tensor name/);
    usage([...base(), '--out', p('no/such/dir/g.npy')], /directory .* does not exist/);
    mkdirSync(p('outdir'), { recursive: true });
    usage([...base(), '--out', p('outdir')], /is a directory/);
    usage([...base(), '--out', input], /would overwrite the input/);
    usage([...base(), '--bogus'], /Unknown option '--bogus'.*cnnlens gradient --help/);
    usage([...base(), 'stray'], /Unexpected argument 'stray'/);
  });

  it('reports missing model and input files with their own codes', () => {
    assert.throws(() => parseGradientArgs(['--model', p('none.onnx'), '--input', input, '--target', '0', '--out', p('g.npy')]), (e: unknown) => e instanceof CnnlensError && e.code === 'IO');
    assert.throws(() => parseGradientArgs(['--model', model, '--input', p('none.npy'), '--target', '0', '--out', p('g.npy')]), (e: unknown) => e instanceof CnnlensError && e.code === 'IO');
  });

  it('hands computeGradient the loaded job and writes its result atomically', async () => {
    let job: GradientJobOptions | undefined;
    const compute = async (o: GradientJobOptions): Promise<HostTensor> => {
      job = o;
      return hostTensor('float32', [1, 3], new Float32Array([0, 1, 1]));
    };
    const io = { text: '', out: (_: string) => undefined, err: (t: string) => void (io.text += t) };
    const code = await gradientCommand([...base(), '--target', seed, '--rules', 'deconvnet', '--threads', '1', '--wrt', 'x'], io, { compute, backend: fakeBackend });
    assert.equal(code, 0);
    assert.ok(job);
    assert.equal(job.model.graph.nodes[0]!.opType, 'Relu');
    assert.equal(job.modelPath, model);
    assert.deepEqual([job.input.type, job.input.dims, [...job.input.data]], ['float32', [1, 3], [-1, 2, 3]]);
    assert.equal(job.target.kind, 'seed');
    assert.deepEqual(job.target.kind === 'seed' && [...job.target.seed.data], [0, 1, 0]);
    assert.equal(job.rules, 'deconvnet');
    assert.equal(job.threads, 1);
    assert.equal(job.wrt, 'x');
    assert.equal(job.backend, fakeBackend);
    const written = await readNpyFile(p('g.npy'));
    assert.deepEqual([written.dtype, written.shape, [...written.data]], ['float32', [1, 3], [0, 1, 1]]);
    assert.match(io.text, /wrote .*g\.npy: float32 \[1, 3\]/);
  });

  it('rejects non-finite inputs before computing', async () => {
    writeFileSync(p('nan.npy'), writeNpy(hostTensor('float64', [2], new Float64Array([1, NaN]))));
    const compute = async (): Promise<HostTensor> => assert.fail('must not compute');
    await assert.rejects(
      gradientCommand(['--model', model, '--input', p('nan.npy'), '--target', '0', '--out', p('g2.npy')], { out() {}, err() {} }, { compute, backend: fakeBackend }),
      (e: unknown) => e instanceof CnnlensError && e.code === 'INPUT_VALUE' && /NaN at flat index 1/.test(e.message),
    );
  });
});
