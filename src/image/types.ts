/** Plain 8-bit pictures: row-major, interleaved channels, no colour profile (sRGB assumed). */

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 3 bytes: R, G, B per pixel, rows top to bottom */
  readonly data: Uint8Array;
}

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes: R, G, B, A per pixel (straight, not premultiplied alpha) */
  readonly data: Uint8Array;
}

/** A rectangle in an image's pixel coordinates (may be fractional when it comes from a resize). */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}
