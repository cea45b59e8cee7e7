/**
 * Word accuracy against a reference: the share of reference words matched by a minimum-edit
 * alignment (case and punctuation ignored), and the word error rate. Used to measure engines.
 * @example wordAccuracy("the quick fox", "the quick box") // { correct: 2, reference: 3, accuracy: 0.667, wer: 0.333 }
 */
export function wordAccuracy(reference: string, hypothesis: string) {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9' ]/g, " ").split(/\s+/).filter(Boolean);
  const ref = norm(reference);
  const hyp = norm(hypothesis);
  // cost[i][j]: edits to turn ref[0..i) into hyp[0..j); hits[i][j]: matches on that best path.
  const cost = Array.from({ length: ref.length + 1 }, (_, i) => Array.from({ length: hyp.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const hits = Array.from({ length: ref.length + 1 }, () => new Array<number>(hyp.length + 1).fill(0));
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= hyp.length; j++) {
      const same = ref[i - 1] === hyp[j - 1];
      const options: Array<[number, number]> = [
        [cost[i - 1][j - 1] + (same ? 0 : 1), hits[i - 1][j - 1] + (same ? 1 : 0)],
        [cost[i - 1][j] + 1, hits[i - 1][j]],
        [cost[i][j - 1] + 1, hits[i][j - 1]],
      ];
      options.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
      [cost[i][j], hits[i][j]] = options[0];
    }
  }
  const correct = hits[ref.length][hyp.length];
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    correct,
    reference: ref.length,
    accuracy: ref.length ? round(correct / ref.length) : 1,
    wer: ref.length ? round(cost[ref.length][hyp.length] / ref.length) : 0,
  };
}
