/** The few statistics the calibration needs: correlations, ridge regression, k folds. */

export const mean = (xs: number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : NaN);

export function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
}

export function pearson(a: number[], b: number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa && sbb ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Ranks from 1, ties sharing their mean rank. */
export function ranks(xs: number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const out = new Array<number>(xs.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) out[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

export const spearman = (a: number[], b: number[]): number => pearson(ranks(a), ranks(b));

/** Solves A x = b (A symmetric positive definite) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]!]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    for (let r = c + 1; r < n; r++) {
      const f = M[r]![c]! / M[c]![c]!;
      for (let k = c; k <= n; k++) M[r]![k]! -= f * M[c]![k]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r]![n]!;
    for (let k = r + 1; k < n; k++) s -= M[r]![k]! * x[k]!;
    x[r] = s / M[r]![r]!;
  }
  return x;
}

export interface LinearModel {
  /** Per feature: the mean and standard deviation it is standardised with, and its weight. */
  features: { name: string; mean: number; sd: number; weight: number }[];
  intercept: number;
}

/**
 * Ridge regression on standardised features (the intercept is not penalised). `lambda` is per
 * row, so it means the same for any number of essays.
 */
export function ridge(names: string[], X: number[][], y: number[], lambda: number): LinearModel {
  const p = names.length;
  const mu = names.map((_, j) => mean(X.map((r) => r[j]!)));
  const sigma = names.map((_, j) => sd(X.map((r) => r[j]!)) || 1);
  const Z = X.map((r) => r.map((v, j) => (v - mu[j]!) / sigma[j]!));
  const my = mean(y);
  const A = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  for (let i = 0; i < Z.length; i++) {
    const z = Z[i]!;
    for (let j = 0; j < p; j++) {
      b[j] = b[j]! + z[j]! * (y[i]! - my);
      const row = A[j]!;
      for (let k = j; k < p; k++) row[k] = row[k]! + z[j]! * z[k]!;
    }
  }
  for (let j = 0; j < p; j++) {
    for (let k = 0; k < j; k++) A[j]![k] = A[k]![j]!;
    A[j]![j] = A[j]![j]! + lambda * Z.length;
  }
  const w = solve(A, b);
  return { features: names.map((name, j) => ({ name, mean: mu[j]!, sd: sigma[j]!, weight: w[j]! })), intercept: my };
}

export function predict(model: LinearModel, row: Record<string, number>): number {
  let s = model.intercept;
  for (const f of model.features) s += f.weight * (((row[f.name] ?? f.mean) - f.mean) / f.sd);
  return s;
}

/** Fold of each item: a stable hash of its id, so folds do not depend on file order. */
export function foldOf(id: string, k: number): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h % k;
}
