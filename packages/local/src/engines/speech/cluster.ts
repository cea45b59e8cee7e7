/**
 * Speaker clustering: divisive, one split at a time. Each step takes the cluster whose best two-way
 * split separates best (silhouette) and splits it while that silhouette reaches `minSilhouette`, up to
 * `maxClusters`. Splitting again inside a cluster finds a third voice that a single silhouette over
 * the whole file hides (a man and two women score highest as "man | women"), and a split must leave
 * at least `minSize` points on each side, so a stray outlier window cannot pass for a speaker.
 * @example divide([[0, 0], [0.1, 0], [0, 0.1], [5, 5], [5.1, 5], [5, 5.1]], 4, 0.4, 2).labels // [0, 0, 0, 1, 1, 1]
 */
export function divide(vectors: number[][], maxClusters: number, minSilhouette: number, minSize: number): Clustering {
  const n = vectors.length;
  const labels = new Array<number>(n).fill(0);
  const splits: number[] = [];
  if (n === 0) return { labels, splits };
  const dist = distances(vectors);
  let clusters = 1;
  while (clusters < maxClusters) {
    let best: { silhouette: number; members: number[]; side: number[] } | undefined;
    for (let c = 0; c < clusters; c++) {
      const members = labels.flatMap((l, i) => (l === c ? [i] : []));
      const split = bisect(dist, members, minSize);
      if (split && (!best || split.silhouette > best.silhouette)) best = { ...split, members };
    }
    if (!best) break;
    splits.push(best.silhouette);
    if (best.silhouette < minSilhouette) break;
    const { members, side } = best;
    members.forEach((i, x) => {
      if (side[x] === 1) labels[i] = clusters;
    });
    clusters++;
  }
  return { labels: firstAppearance(labels), splits };
}

export interface Clustering {
  /** A cluster per point, numbered in order of first appearance. */
  labels: number[];
  /** The silhouette of every split tried, in order: all but the last were taken; the last too when it reached the cut. */
  splits: number[];
}

/**
 * The best two-way split of `members`: average-linkage merging down to the last moment two clusters
 * of at least `minSize` stand, the smaller leftovers folded into the nearer of them. Undefined when no
 * such moment exists (too few points, or one cluster swallows everything else first).
 */
function bisect(dist: Float64Array[], members: number[], minSize: number): { silhouette: number; side: number[] } | undefined {
  const n = members.length;
  if (n < 2 * minSize || n < 3) return undefined;
  // Linkage between live clusters, updated in place (Lance–Williams for average linkage).
  const link = members.map((i) => Float64Array.from(members, (j) => dist[i][j]));
  const groups: Array<number[] | undefined> = members.map((_, x) => [x]);
  let live = n;
  let side: number[] | undefined;
  while (live > 1) {
    const big = groups.filter((g): g is number[] => g !== undefined && g.length >= minSize);
    if (big.length === 2) side = foldInto(big, groups, link, n);
    let bi = -1;
    let bj = -1;
    let low = Infinity;
    for (let i = 0; i < n; i++) {
      if (!groups[i]) continue;
      for (let j = i + 1; j < n; j++) if (groups[j] && link[i][j] < low) [low, bi, bj] = [link[i][j], i, j];
    }
    const a = groups[bi]!;
    const b = groups[bj]!;
    for (let k = 0; k < n; k++) {
      if (!groups[k] || k === bi || k === bj) continue;
      const merged = (link[bi][k] * a.length + link[bj][k] * b.length) / (a.length + b.length);
      link[bi][k] = link[k][bi] = merged;
    }
    groups[bi] = [...a, ...b];
    groups[bj] = undefined;
    live--;
  }
  if (!side) return undefined;
  const sub = members.map((i) => Float64Array.from(members, (j) => dist[i][j]));
  return { silhouette: silhouette(sub, side), side };
}

/** Labels 0/1 from two big clusters, every other point joining the one it is closer to on average. */
function foldInto(big: number[][], groups: Array<number[] | undefined>, link: Float64Array[], n: number): number[] {
  const side = new Array<number>(n).fill(0);
  for (const x of big[1]) side[x] = 1;
  const heads = big.map((g) => groups.indexOf(g));
  groups.forEach((g, head) => {
    if (!g || big.includes(g)) return;
    const to = link[head][heads[1]] < link[head][heads[0]] ? 1 : 0;
    for (const x of g) side[x] = to;
  });
  return side;
}

function firstAppearance(labels: number[]): number[] {
  const names = new Map<number, number>();
  return labels.map((l) => {
    if (!names.has(l)) names.set(l, names.size);
    return names.get(l)!;
  });
}

export function distances(vectors: number[][]): Float64Array[] {
  const n = vectors.length;
  const dist = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let sum = 0;
      for (let d = 0; d < vectors[i].length; d++) sum += (vectors[i][d] - vectors[j][d]) ** 2;
      dist[i][j] = dist[j][i] = Math.sqrt(sum);
    }
  }
  return dist;
}

/** Mean silhouette; a point alone in its cluster scores 0 (Rousseeuw's convention). */
export function silhouette(dist: Float64Array[], labels: number[]): number {
  const k = Math.max(...labels) + 1;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < labels.length; j++) {
      if (i === j) continue;
      sums[labels[j]] += dist[i][j];
      counts[labels[j]]++;
    }
    if (counts[labels[i]] === 0) continue;
    const a = sums[labels[i]] / counts[labels[i]];
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== labels[i] && counts[c] > 0) b = Math.min(b, sums[c] / counts[c]);
    total += (b - a) / Math.max(a, b);
  }
  return total / labels.length;
}
