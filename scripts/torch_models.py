"""Reference torchvision CNNs with fixed random weights.

Shared by scripts/torch_fixtures.py (gradient fixtures) and
bench/torch_worker.py (benchmark). Targets the torchvision 0.14 API.

build(name, seed)    -> eval-mode float32 classifier
wrap(name, model)    -> module whose forward returns (logits, feature), where
                        `feature` is a true intermediate on the logits path
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

MODELS = [
    "mobilenet_v2",
    "mobilenet_v3_small",
    "resnet18",
    "resnet50",
    "vgg11_bn",
    "densenet121",
    "squeezenet1_1",
    "efficientnet_b0",
    "inception_v3",
    "convnext_tiny",
]

# Opset per model: convnext needs 17 to export LayerNormalization.
OPSET = {name: 13 for name in MODELS}
OPSET["convnext_tiny"] = 17


def input_size(name):
    """Spatial input size (square)."""
    return 299 if name == "inception_v3" else 224


def _construct(name):
    if name == "inception_v3":
        return tvm.inception_v3(
            weights=None, aux_logits=False, init_weights=True, transform_input=False
        )
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; expected one of {MODELS}")
    return getattr(tvm, name)(weights=None)


def _randomize(model, seed):
    """Make normalization layers non-trivial with a dedicated generator.

    BatchNorm: running_mean ~ N(0, 0.1), running_var ~ U(0.5, 1.5),
    weight ~ U(0.5, 1.5), bias ~ N(0, 0.1).
    LayerNorm (convnext) gets the same weight/bias treatment, and convnext's
    layer_scale (initialised to 1e-6, which would make every residual branch
    negligible) is drawn from U(0.1, 0.3).
    """
    g = torch.Generator().manual_seed(seed + 1)

    def uniform(t, lo, hi):
        t.copy_(torch.rand(t.shape, generator=g, dtype=t.dtype) * (hi - lo) + lo)

    def normal(t, std):
        t.copy_(torch.randn(t.shape, generator=g, dtype=t.dtype) * std)

    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                normal(m.running_mean, 0.1)
                uniform(m.running_var, 0.5, 1.5)
                uniform(m.weight, 0.5, 1.5)
                normal(m.bias, 0.1)
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                uniform(m.weight, 0.5, 1.5)
                normal(m.bias, 0.1)
            if isinstance(getattr(m, "layer_scale", None), nn.Parameter):
                uniform(m.layer_scale, 0.1, 0.3)


def build(name, seed=0):
    """Eval-mode float32 torchvision model `name` with deterministic weights."""
    torch.manual_seed(seed)
    model = _construct(name)
    _randomize(model, seed)
    return model.float().eval()


class FeatureWrapper(nn.Module):
    """forward(x) -> (tail(feature), feature) with feature = head(x).

    The wrapped model's children are registered directly on the wrapper, so
    parameter names (and hence ONNX initializer names) match torchvision's
    state_dict keys. head/tail are kept out of the module tree.
    """

    def __init__(self, model, head, tail):
        super().__init__()
        for child_name, child in model.named_children():
            self.add_module(child_name, child)
        self._parts = (head, tail)

    def head(self, x):
        return self._parts[0](x)

    def tail(self, feature):
        return self._parts[1](feature)

    def forward(self, x):
        feature = self.head(x)
        return self.tail(feature), feature


class _Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _pool_flatten():
    return _Lambda(lambda x: torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))


def _flatten():
    return nn.Flatten(1)


def _split_features(model, k, *after):
    """head = model.features[:k], tail = model.features[k:] followed by `after`."""
    feats = model.features
    return nn.Sequential(*feats[:k]), nn.Sequential(*feats[k:], *after)


def wrap(name, model):
    """Wrap `model` (from build) so it also returns a mid/late feature map.

    The tail reproduces torchvision 0.14's forward after the split point;
    the modules are shared with `model`, so weights are identical.
    """
    m = model
    if name == "mobilenet_v2":
        # feature: output of features[14] (N, 160, 7, 7)
        head, tail = _split_features(m, 15, _pool_flatten(), m.classifier)
    elif name == "mobilenet_v3_small":
        # feature: output of features[8] (N, 48, 14, 14)
        head, tail = _split_features(m, 9, m.avgpool, _flatten(), m.classifier)
    elif name in ("resnet18", "resnet50"):
        # feature: output of layer3 (N, 256|1024, 14, 14)
        head = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3)
        tail = nn.Sequential(m.layer4, m.avgpool, _flatten(), m.fc)
    elif name == "vgg11_bn":
        # feature: output of the ReLU at features[24] (N, 512, 14, 14)
        head, tail = _split_features(m, 25, m.avgpool, _flatten(), m.classifier)
    elif name == "densenet121":
        # feature: output of features.denseblock3 (N, 1024, 14, 14)
        names = [n for n, _ in m.features.named_children()]
        k = names.index("denseblock3") + 1
        relu = _Lambda(lambda x: F.relu(x, inplace=True))
        head, tail = _split_features(m, k, relu, _pool_flatten(), m.classifier)
    elif name == "squeezenet1_1":
        # feature: output of the Fire module features[9] (N, 384, 13, 13)
        head, tail = _split_features(m, 10, m.classifier, _flatten())
    elif name == "efficientnet_b0":
        # feature: output of features[5] (N, 112, 14, 14)
        head, tail = _split_features(m, 6, m.avgpool, _flatten(), m.classifier)
    elif name == "inception_v3":
        # feature: output of Mixed_6b (N, 768, 17, 17); transform_input is off
        head = nn.Sequential(
            m.Conv2d_1a_3x3, m.Conv2d_2a_3x3, m.Conv2d_2b_3x3, m.maxpool1,
            m.Conv2d_3b_1x1, m.Conv2d_4a_3x3, m.maxpool2,
            m.Mixed_5b, m.Mixed_5c, m.Mixed_5d, m.Mixed_6a, m.Mixed_6b,
        )
        tail = nn.Sequential(
            m.Mixed_6c, m.Mixed_6d, m.Mixed_6e, m.Mixed_7a, m.Mixed_7b, m.Mixed_7c,
            m.avgpool, m.dropout, _flatten(), m.fc,
        )
    elif name == "convnext_tiny":
        # feature: output of features[5] (stage 3, N, 384, 14, 14)
        head, tail = _split_features(m, 6, m.avgpool, m.classifier)
    else:
        raise ValueError(f"unknown model {name!r}")
    return FeatureWrapper(model, head, tail).eval()
