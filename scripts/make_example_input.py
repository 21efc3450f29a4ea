"""Writes examples/chelsea-64.npy: ../shared/data/images/chelsea.png (CC0, scikit-image's data) resized
to 64x64, as a float32 [1, 3, 64, 64] array in [0, 1]. Run: /usr/bin/python3 scripts/make_example_input.py"""
import numpy as np
from PIL import Image

img = Image.open("../shared/data/images/chelsea.png").convert("RGB").resize((64, 64), Image.BILINEAR)
x = (np.asarray(img, dtype=np.float32) / 255.0).transpose(2, 0, 1)[None]
np.save("examples/chelsea-64.npy", np.ascontiguousarray(x))
print("wrote examples/chelsea-64.npy", x.shape)
