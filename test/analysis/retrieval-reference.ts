/** Naive O(n^2) references for the retrieval metrics, in float64. */

export function unitRows(rng: { normal(): number }, n: number, dim: number): Float32Array {
  const x = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < dim; t++) {
      const v = rng.normal();
      x[i * dim + t] = v;
      s += v * v;
    }
    const norm = Math.sqrt(s);
    for (let t = 0; t < dim; t++) x[i * dim + t] /= norm;
  }
  return x;
}

/** Neighbours of each query: all other samples, by similarity descending, then index ascending. */
export function naiveNeighbours(x: Float32Array, n: number, dim: number): number[][] {
  const out: number[][] = [];
  for (let q = 0; q < n; q++) {
    const sims: { j: number; s: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === q) continue;
      let s = 0;
      for (let t = 0; t < dim; t++) s += x[q * dim + t] * x[j * dim + t];
      sims.push({ j, s });
    }
    sims.sort((a, b) => b.s - a.s || a.j - b.j);
    out.push(sims.map((e) => e.j));
  }
  return out;
}

export function naiveRetrieval(x: Float32Array, labels: ArrayLike<number>, dim: number, ks: number[]) {
  const n = labels.length;
  const nbrs = naiveNeighbours(x, n, dim);
  const recall: Record<number, number> = {};
  for (const k of ks) recall[k] = 0;
  let map = 0;
  let queries = 0;
  for (let q = 0; q < n; q++) {
    let r = 0;
    for (let j = 0; j < n; j++) if (j !== q && labels[j] === labels[q]) r++;
    if (r === 0) continue;
    queries++;
    for (const k of ks) if (nbrs[q].slice(0, k).some((j) => labels[j] === labels[q])) recall[k]++;
    let found = 0;
    let sum = 0;
    for (let i = 0; i < r; i++) {
      if (labels[nbrs[q][i]] === labels[q]) {
        found++;
        sum += found / (i + 1);
      }
    }
    map += sum / r;
  }
  for (const k of ks) recall[k] /= queries;
  return { recall, map: map / queries, queries };
}

/** NMI straight from its definition, with a dense contingency table. */
export function naiveNmi(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const ua = [...new Set(Array.from(a))];
  const ub = [...new Set(Array.from(b))];
  const table = ua.map(() => ub.map(() => 0));
  for (let i = 0; i < n; i++) table[ua.indexOf(a[i])][ub.indexOf(b[i])]++;
  const pa = table.map((row) => row.reduce((s, v) => s + v, 0) / n);
  const pb = ub.map((_, j) => table.reduce((s, row) => s + row[j], 0) / n);
  let mi = 0;
  for (let i = 0; i < ua.length; i++) {
    for (let j = 0; j < ub.length; j++) {
      const p = table[i][j] / n;
      if (p > 0) mi += p * Math.log(p / (pa[i] * pb[j]));
    }
  }
  const h = (ps: number[]) => -ps.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0);
  return (2 * mi) / (h(pa) + h(pb));
}
