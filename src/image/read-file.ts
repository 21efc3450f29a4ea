/**
 * Node only: image files to 8-bit sRGB RGB pixels with sharp. EXIF orientation is applied, transparency
 * is flattened onto white, colour profiles are converted to sRGB, 16-bit images are reduced to 8 bits,
 * and multi-frame formats (GIF, TIFF, WebP animations) give their first frame. The header is read first
 * and absurd sizes are refused before any pixel is decoded.
 * Formats: whatever sharp decodes (PNG, JPEG, WebP, GIF, TIFF, AVIF/HEIF where built in, SVG).
 */
import { readFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { CnnlensError, fail } from '../errors.js';
import type { RgbImage } from './types.js';

export interface ReadImageOptions {
  /** refuse images with more pixels than this; default 100 megapixels */
  readonly maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;
/** largest width or height accepted, whatever the pixel count */
export const MAX_SIDE = 30_000;

const SUPPORTED = 'PNG, JPEG, WebP, GIF, TIFF';

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Decodes image bytes; `name` (a file name or label) is used in messages. */
export async function readImageBytes(bytes: Uint8Array, name: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(maxPixels > 0)) fail('USAGE', `maxPixels must be positive, got ${maxPixels}.`);
  if (bytes.length === 0) fail('IMAGE', `'${name}' is empty (0 bytes); give a ${SUPPORTED} image.`);

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (e) {
    fail('IMAGE', `'${name}' is not an image cnnlens can read (${reason(e)}); give a ${SUPPORTED} file, or convert it to PNG.`, e);
  }
  const { width, height, format } = meta;
  if (!width || !height) fail('IMAGE', `'${name}' (${format ?? 'unknown format'}) does not say its size; re-save it as PNG or JPEG.`);
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > maxPixels) {
    fail('IMAGE', `'${name}' is ${width}x${height} pixels (${(width * height / 1e6).toFixed(1)} megapixels), more than the limit of ${(maxPixels / 1e6).toFixed(1)} megapixels and ${MAX_SIDE} pixels a side; downscale it first (models look at a few hundred pixels anyway).`);
  }

  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'warning' })
      .rotate() // EXIF orientation
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
      fail('IMAGE', `'${name}' decoded to ${info.channels} channels of ${info.width}x${info.height}, not RGB; convert it to an 8-bit RGB PNG.`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (e) {
    if (e instanceof CnnlensError) throw e;
    fail('IMAGE', `'${name}' (${format}, ${width}x${height}) cannot be decoded: ${reason(e)}. The file may be truncated or corrupt; re-export it.`, e);
  }
}

/** Reads and decodes an image file; see `readImageBytes`. */
export async function readImageFile(path: string, options: ReadImageOptions = {}): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : '';
    if (code === 'ENOENT') fail('IO', `image file '${path}' does not exist; check the path.`, e);
    if (code === 'EISDIR') fail('IO', `'${path}' is a directory, not an image file.`, e);
    fail('IO', `cannot read image file '${path}': ${reason(e)}`, e);
  }
  return readImageBytes(bytes, path, options);
}
