/**
 * A picture file decoded by the browser into the library's RgbImage: no colour-space conversion, no
 * premultiplied alpha; transparent pixels are flattened onto white (as the command line's reader does).
 */
import { fail, type RgbImage } from './lib.js';

/** Larger pictures are refused before decoding into memory. */
const MAX_PIXELS = 100e6;

export async function decodeImage(file: Blob, name: string): Promise<RgbImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    return fail('IMAGE', `'${name}' is not a picture the browser can decode${file.type ? ` (its type is ${file.type})` : ''}; choose a PNG, JPEG, WebP, GIF, BMP or AVIF file.`);
  }
  const { width, height } = bitmap;
  if (width * height > MAX_PIXELS) {
    bitmap.close();
    fail('IMAGE', `'${name}' is ${width}x${height} pixels; the explorer reads pictures up to ${MAX_PIXELS / 1e6} megapixels.`);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) fail('IMAGE', 'the browser gave no 2D canvas to decode the picture into.');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    const a = rgba[i + 3]!;
    for (let k = 0; k < 3; k++) data[j + k] = a === 255 ? rgba[i + k]! : Math.round((rgba[i + k]! * a + 255 * (255 - a)) / 255);
  }
  return { width, height, data };
}
