import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { writeMat5, type MatIn } from './mat5-writer.js';

/** A few distinct small JPEGs (a colour gradient with a seeded offset), encoded once and reused. */
export async function sampleJpegs(count = 4, width = 40, height = 30): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        raw[o] = (x * 6 + k * 50) & 255;
        raw[o + 1] = (y * 8 + k * 30) & 255;
        raw[o + 2] = ((x + y) * 3 + k * 70) & 255;
      }
    }
    out.push(await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer());
  }
  return out;
}

export function put(file: string, bytes: Buffer | string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

/** CUB-200-2011 layout: 200 classes, `perClass` images each. */
export function writeCub(root: string, jpegs: Buffer[], perClass = 2): void {
  const images: string[] = [];
  const labels: string[] = [];
  let id = 1;
  for (let c = 1; c <= 200; c++) {
    for (let k = 0; k < perClass; k++, id++) {
      const rel = `${String(c).padStart(3, '0')}.Class_${c}/img_${k}.jpg`;
      put(join(root, 'images', rel), jpegs[(c + k) % jpegs.length]);
      images.push(`${id} ${rel}`);
      labels.push(`${id} ${c}`);
    }
  }
  put(join(root, 'images.txt'), images.join('\n') + '\n');
  put(join(root, 'image_class_labels.txt'), labels.join('\n') + '\n');
}

/** Stanford Cars layout: cars_annos.mat + car_ims/, 196 classes, `perClass` images each. */
export function writeCars(root: string, jpegs: Buffer[], perClass = 2): void {
  const elements: Record<string, MatIn>[] = [];
  let id = 1;
  for (let c = 1; c <= 196; c++) {
    for (let k = 0; k < perClass; k++, id++) {
      const rel = `car_ims/${String(id).padStart(6, '0')}.jpg`;
      put(join(root, rel), jpegs[(c + k) % jpegs.length]);
      elements.push({
        relative_im_path: { kind: 'char', text: rel },
        bbox_x1: { kind: 'double', data: [1] }, bbox_y1: { kind: 'double', data: [1] },
        bbox_x2: { kind: 'double', data: [30] }, bbox_y2: { kind: 'double', data: [20] },
        class: { kind: 'double', data: [c], storeAs: 'uint8' }, test: { kind: 'uint8', data: [k % 2] },
      });
    }
  }
  put(join(root, 'cars_annos.mat'), writeMat5({
    annotations: { kind: 'struct', fields: ['relative_im_path', 'bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2', 'class', 'test'], elements },
    class_names: { kind: 'cell', cells: [{ kind: 'char', text: 'AM General Hummer SUV 2000' }] },
  }));
}

/** SOP layout: Ebay_train.txt / Ebay_test.txt with a header; classes 1..trainClasses train, the rest test. */
export function writeSop(root: string, jpegs: Buffer[], trainClasses = 3, testClasses = 2, perClass = 2): void {
  const lines = { train: ['image_id class_id super_class_id path'], test: ['image_id class_id super_class_id path'] };
  let id = 1;
  for (let c = 1; c <= trainClasses + testClasses; c++) {
    for (let k = 0; k < perClass; k++, id++) {
      const rel = `bicycle_final/${c}_${k}.JPG`;
      put(join(root, rel), jpegs[(c + k) % jpegs.length]);
      (c <= trainClasses ? lines.train : lines.test).push(`${id} ${c} 1 ${rel}`);
    }
  }
  put(join(root, 'Ebay_train.txt'), lines.train.join('\n') + '\n');
  put(join(root, 'Ebay_test.txt'), lines.test.join('\n') + '\n');
}

/**
 * In-Shop layout: items 1-3 train (2 images each); items 4-6 evaluation, each with 2 queries and
 * 1 gallery image, plus one gallery-only item 7 (a distractor).
 */
export function writeInShop(root: string, jpegs: Buffer[]): { train: number; query: number; gallery: number } {
  const rows: string[] = [];
  let n = 0;
  const add = (item: number, k: number, status: string) => {
    const rel = `img/WOMEN/Dresses/id_${String(item).padStart(8, '0')}/0${k}_1_front.jpg`;
    put(join(root, rel), jpegs[(item + k) % jpegs.length]);
    rows.push(`${rel} id_${String(item).padStart(8, '0')} ${status}`);
    n++;
  };
  for (let item = 1; item <= 3; item++) for (let k = 0; k < 2; k++) add(item, k, 'train');
  for (let item = 4; item <= 6; item++) {
    add(item, 0, 'query');
    add(item, 1, 'gallery');
    add(item, 2, 'query');
  }
  add(7, 0, 'gallery');
  put(join(root, 'list_eval_partition.txt'), `${n}\nimage_name item_id evaluation_status\n${rows.join('\n')}\n`);
  return { train: 6, query: 6, gallery: 4 };
}

/**
 * VehicleID layout: train vehicles 1-4 (2 images each); test lists nested like the published
 * ones: 800 -> vehicles 10-11, 1600 -> 10-12, 2400 -> 10-14 (2 images each).
 */
export function writeVehicleId(root: string, jpegs: Buffer[]): void {
  let id = 1;
  const img = (v: number) => {
    const name = String(id++).padStart(7, '0');
    put(join(root, 'image', `${name}.jpg`), jpegs[(v + id) % jpegs.length]);
    return `${name} ${v}`;
  };
  const train: string[] = [];
  for (let v = 1; v <= 4; v++) train.push(img(v), img(v));
  const test: string[] = [];
  for (let v = 10; v <= 14; v++) test.push(img(v), img(v));
  put(join(root, 'train_test_split', 'train_list.txt'), train.join('\n') + '\n');
  put(join(root, 'train_test_split', 'test_list_800.txt'), test.slice(0, 4).join('\n') + '\n');
  put(join(root, 'train_test_split', 'test_list_1600.txt'), test.slice(0, 6).join('\n') + '\n');
  put(join(root, 'train_test_split', 'test_list_2400.txt'), test.join('\n') + '\n');
}

/** One sub-folder per class (plus a stray non-image file that must be skipped). */
export function writeFolder(root: string, jpegs: Buffer[], classes = 5, perClass = 2): void {
  for (let c = 0; c < classes; c++) {
    for (let k = 0; k < perClass; k++) put(join(root, `class_${c}`, `${k}.jpg`), jpegs[(c + k) % jpegs.length]);
  }
  put(join(root, 'class_0', 'notes.txt'), 'not an image');
}

/** research-xbm style lists: "path label", paths relative to the list file. */
export function writeLists(root: string, jpegs: Buffer[]): { train: string; test: string } {
  const train: string[] = [];
  const test: string[] = [];
  for (let c = 0; c < 4; c++) {
    for (let k = 0; k < 3; k++) {
      const rel = `imgs/${c}/${k}.jpg`;
      put(join(root, rel), jpegs[(c + k) % jpegs.length]);
      (c < 2 ? train : test).push(c % 2 === 0 ? `${rel} ${c}` : `${rel},${c}`);
    }
  }
  put(join(root, 'train.txt'), train.join('\n') + '\n');
  put(join(root, 'test.txt'), test.join('\n') + '\n');
  return { train: join(root, 'train.txt'), test: join(root, 'test.txt') };
}
