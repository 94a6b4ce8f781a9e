import { deflateSync } from 'node:zlib';

/** A tiny MAT v5 writer for tests: what MATLAB's save writes for structs, cells, chars, numbers. */
export type MatIn =
  | { kind: 'double'; data: number[]; storeAs?: 'uint8' | 'double'; dims?: number[] }
  | { kind: 'uint8'; data: number[] }
  | { kind: 'char'; text: string }
  | { kind: 'cell'; cells: MatIn[] }
  | { kind: 'struct'; fields: string[]; elements: Record<string, MatIn>[] };

function element(type: number, data: Buffer): Buffer {
  if (data.length <= 4 && data.length > 0) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(type | (data.length << 16), 0);
    data.copy(b, 4);
    return b;
  }
  const pad = (8 - (data.length % 8)) % 8;
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data, Buffer.alloc(pad)]);
}

const i32 = (xs: number[]) => {
  const b = Buffer.alloc(xs.length * 4);
  xs.forEach((x, i) => b.writeInt32LE(x, i * 4));
  return b;
};

function matrix(name: string, v: MatIn): Buffer {
  const parts: Buffer[] = [];
  const flags = (cls: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(cls, 0);
    return element(6, b);
  };
  const nameEl = element(1, Buffer.from(name, 'latin1'));
  switch (v.kind) {
    case 'double': {
      const dims = v.dims ?? [1, v.data.length];
      parts.push(flags(6), element(5, i32(dims)), nameEl);
      if (v.storeAs === 'uint8') parts.push(element(2, Buffer.from(v.data)));
      else {
        const b = Buffer.alloc(v.data.length * 8);
        v.data.forEach((x, i) => b.writeDoubleLE(x, i * 8));
        parts.push(element(9, b));
      }
      break;
    }
    case 'uint8':
      parts.push(flags(9), element(5, i32([1, v.data.length])), nameEl, element(2, Buffer.from(v.data)));
      break;
    case 'char': {
      const b = Buffer.alloc(v.text.length * 2);
      for (let i = 0; i < v.text.length; i++) b.writeUInt16LE(v.text.charCodeAt(i), i * 2);
      parts.push(flags(4), element(5, i32([1, v.text.length])), nameEl, element(4, b));
      break;
    }
    case 'cell':
      parts.push(flags(1), element(5, i32([1, v.cells.length])), nameEl, ...v.cells.map((c) => matrix('', c)));
      break;
    case 'struct': {
      const len = 32;
      const names = Buffer.alloc(len * v.fields.length);
      v.fields.forEach((f, i) => names.write(f, i * len, 'latin1'));
      parts.push(flags(2), element(5, i32([1, v.elements.length])), nameEl, element(5, i32([len])), element(1, names));
      for (const e of v.elements) for (const f of v.fields) parts.push(matrix('', e[f]));
      break;
    }
  }
  return element(14, Buffer.concat(parts));
}

/** The bytes of a MAT v5 file holding these variables, each compressed like MATLAB's default. */
export function writeMat5(vars: Record<string, MatIn>, compress = true): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, written by xbm-drift tests', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const body = Object.entries(vars).map(([name, v]) => {
    const m = matrix(name, v);
    if (!compress) return m;
    const z = deflateSync(m);
    const head = Buffer.alloc(8);
    head.writeUInt32LE(15, 0);
    head.writeUInt32LE(z.length, 4);
    return Buffer.concat([head, z]);
  });
  return Buffer.concat([header, ...body]);
}
