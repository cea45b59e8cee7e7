/**
 * Average-linkage agglomerative clustering with the number of clusters chosen by the silhouette:
 * the best k in 2…maxClusters, or 1 when even the best silhouette is under `minSilhouette` (one
 * voice throughout gives loose, overlapping "clusters"). Quadratic in memory: fine for the few
 * thousand windows of an hour of speech.
 * @example cluster([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], 4, 0.2) // [0, 0, 1, 1]
 */
export function cluster(vectors: number[][], maxClusters: number, minSilhouette: number): number[] {
  return clusterScored(vectors, maxClusters, minSilhouette).labels;
}

/** `cluster` with the best silhouette it chose by (NaN when there were too few points to split). */
export function clusterScored(vectors: number[][], maxClusters: number, minSilhouette: number): { labels: number[]; silhouette: number } {
  const n = vectors.length;
  if (n < 3 || maxClusters < 2) return { labels: new Array<number>(n).fill(0), silhouette: Number.NaN };
  const dist = distances(vectors);
  const partitions = dendrogramCuts(dist, Math.min(maxClusters, n - 1));
  let best = { k: 1, score: -Infinity };
  for (let k = 2; k <= Math.min(maxClusters, n - 1); k++) {
    const score = silhouette(dist, partitions[k]);
    if (score > best.score) best = { k, score };
  }
  const labels = best.score >= minSilhouette ? partitions[best.k] : new Array<number>(n).fill(0);
  return { labels, silhouette: best.score };
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

/** Merges the closest pair (average linkage) until one cluster; records the labels at each k ≤ maxK. */
function dendrogramCuts(dist: Float64Array[], maxK: number): number[][] {
  const n = dist.length;
  let clusters: number[][] = Array.from({ length: n }, (_, i) => [i]);
  // Linkage between live clusters, kept as a matrix indexed by position in `clusters`.
  let link = dist.map((row) => Float64Array.from(row));
  const cuts: number[][] = [];
  while (clusters.length > 1) {
    if (clusters.length <= maxK) cuts[clusters.length] = labelsOf(clusters, n);
    let bi = 0;
    let bj = 1;
    for (let i = 0; i < clusters.length; i++) {
      for (let j = i + 1; j < clusters.length; j++) if (link[i][j] < link[bi][bj]) [bi, bj] = [i, j];
    }
    const [a, b] = [clusters[bi], clusters[bj]];
    const merged = [...a, ...b];
    const keep = clusters.map((_, i) => i).filter((i) => i !== bi && i !== bj);
    const row = keep.map((k) => (link[bi][k] * a.length + link[bj][k] * b.length) / merged.length);
    const next = keep.map((i, x) => Float64Array.from([...keep.map((j) => link[i][j]), row[x]]));
    next.push(Float64Array.from([...row, 0]));
    clusters = [...keep.map((i) => clusters[i]), merged];
    link = next;
  }
  cuts[1] = new Array<number>(n).fill(0);
  return cuts;
}

function labelsOf(clusters: number[][], n: number): number[] {
  const labels = new Array<number>(n).fill(0);
  clusters.forEach((members, c) => members.forEach((i) => (labels[i] = c)));
  return labels;
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
