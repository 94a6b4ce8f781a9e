import { Rng } from '../random.js';
import type { Normalization } from './types.js';

/** The reference code's statistics (torchvision's ImageNet mean/std, RGB). */
export const IMAGENET_NORMALIZATION: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
export const NO_NORMALIZATION: Normalization = { mean: [0, 0, 0], std: [1, 1, 1] };

/** Test-time resize target: the shorter side becomes size * 256 / 224 (256 for 224), then a centre crop. */
export function resizeSide(size: number): number {
  return Math.round((size * 256) / 224);
}

/** Area scale and aspect-ratio ranges of the training crop (reference code: scale 0.2-1, torchvision ratios). */
export const CROP_SCALE: readonly [number, number] = [0.2, 1];
export const CROP_RATIO: readonly [number, number] = [3 / 4, 4 / 3];

export interface CropBox {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** torchvision's RandomResizedCrop.get_params: ten tries at a random area and ratio, then a centre crop. */
export function randomResizedCrop(width: number, height: number, rng: Rng, scale = CROP_SCALE, ratio = CROP_RATIO): CropBox {
  const area = width * height;
  const logLo = Math.log(ratio[0]);
  const logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + rng.next() * (scale[1] - scale[0]));
    const aspect = Math.exp(logLo + rng.next() * (logHi - logLo));
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      return { x: rng.int(width - w + 1), y: rng.int(height - h + 1), w, h };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return { x: Math.floor((width - w) / 2), y: Math.floor((height - h) / 2), w, h };
}

/** The centred size x size box of a width x height image (both at least size). */
export function centreBox(width: number, height: number, size: number): CropBox {
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), w: size, h: size };
}

/** A generator for one (seed, iteration, sample) triple: augmentation is a pure function of these. */
export function augmentRng(seed: number, iteration: number, sample: number): Rng {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (const v of [iteration, sample]) {
    h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return new Rng(h);
}

/**
 * Crop `box` out of an RGB byte image (width x height x 3), resize it bilinearly to size x size
 * (half-pixel centres, as torchvision/PIL without antialiasing), optionally mirror it, and write
 * (x / 255 - mean) / std into `out` from `offset`. A box of exactly size x size is a plain copy.
 */
export function cropResizeNormalize(
  src: Uint8Array, width: number, box: CropBox, size: number, flip: boolean, norm: Normalization, out: Float32Array, offset: number,
): void {
  const a0 = 1 / (255 * norm.std[0]), a1 = 1 / (255 * norm.std[1]), a2 = 1 / (255 * norm.std[2]);
  const b0 = -norm.mean[0] / norm.std[0], b1 = -norm.mean[1] / norm.std[1], b2 = -norm.mean[2] / norm.std[2];
  const sx = box.w / size;
  const sy = box.h / size;
  const exact = box.w === size && box.h === size;
  for (let oy = 0; oy < size; oy++) {
    let y0: number, y1: number, fy: number;
    if (exact) {
      y0 = y1 = box.y + oy;
      fy = 0;
    } else {
      const cy = Math.min(Math.max((oy + 0.5) * sy - 0.5, 0), box.h - 1);
      const iy = Math.floor(cy);
      y0 = box.y + iy;
      y1 = box.y + Math.min(iy + 1, box.h - 1);
      fy = cy - iy;
    }
    const row0 = y0 * width;
    const row1 = y1 * width;
    for (let ox = 0; ox < size; ox++) {
      const tx = flip ? size - 1 - ox : ox;
      let x0: number, x1: number, fx: number;
      if (exact) {
        x0 = x1 = box.x + tx;
        fx = 0;
      } else {
        const cx = Math.min(Math.max((tx + 0.5) * sx - 0.5, 0), box.w - 1);
        const ix = Math.floor(cx);
        x0 = box.x + ix;
        x1 = box.x + Math.min(ix + 1, box.w - 1);
        fx = cx - ix;
      }
      const p00 = (row0 + x0) * 3, p01 = (row0 + x1) * 3, p10 = (row1 + x0) * 3, p11 = (row1 + x1) * 3;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const o = offset + (oy * size + ox) * 3;
      out[o] = (src[p00] * w00 + src[p01] * w01 + src[p10] * w10 + src[p11] * w11) * a0 + b0;
      out[o + 1] = (src[p00 + 1] * w00 + src[p01 + 1] * w01 + src[p10 + 1] * w10 + src[p11 + 1] * w11) * a1 + b1;
      out[o + 2] = (src[p00 + 2] * w00 + src[p01 + 2] * w01 + src[p10 + 2] * w10 + src[p11 + 2] * w11) * a2 + b2;
    }
  }
}
