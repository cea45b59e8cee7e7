/**
 * Frame-level acoustic features for speaker clustering: MFCCs (pre-emphasis, Hamming window, FFT,
 * mel filterbank, log, DCT) and a pitch estimate (autocorrelation from the power spectrum,
 * normalised by the window's own autocorrelation, Boersma 1993). Written out because it is small
 * and a package for it would pull in far more than this.
 */

export const SAMPLE_RATE = 16000;
/** 32 ms frames every 10 ms; zero-padded to 1024 so the autocorrelation is not circular. */
export const FRAME = 512;
export const HOP = 160;
const FFT_SIZE = 1024;
const MEL_BANDS = 40;
/** c1…c19: c0 is loudness, which says more about the microphone than the speaker. */
export const CEPSTRA = 19;
const MIN_F0 = 60;
const MAX_F0 = 400;

export interface FrameFeatures {
  /** One row of `CEPSTRA` coefficients per frame. */
  mfcc: Float32Array[];
  /** log2 of F0 in Hz per frame, or NaN when the frame is unvoiced or silent. */
  logF0: Float32Array;
}

const hamming = Float32Array.from({ length: FRAME }, (_, n) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / (FRAME - 1)));
const windowAcf = autocorrelation(hamming);
const melFilters = melFilterbank();
const dct = Array.from({ length: CEPSTRA }, (_, k) =>
  Float32Array.from({ length: MEL_BANDS }, (_, m) => Math.cos((Math.PI * (k + 1) * (m + 0.5)) / MEL_BANDS)),
);

/** Features of every full frame in `samples` (16 kHz mono). */
export function frameFeatures(samples: Float32Array): FrameFeatures {
  const count = samples.length < FRAME ? 0 : Math.floor((samples.length - FRAME) / HOP) + 1;
  const mfcc: Float32Array[] = [];
  const logF0 = new Float32Array(count);
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  const power = new Float64Array(FFT_SIZE / 2 + 1);
  for (let f = 0; f < count; f++) {
    const start = f * HOP;
    // Pitch first, on the raw frame: pre-emphasis would weaken the fundamental.
    fillFrame(samples, start, re, im, 0);
    fft(re, im);
    logF0[f] = pitch(re, im);
    fillFrame(samples, start, re, im, 0.97);
    fft(re, im);
    for (let k = 0; k <= FFT_SIZE / 2; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    mfcc.push(cepstrum(power));
  }
  return { mfcc, logF0 };
}

function fillFrame(samples: Float32Array, start: number, re: Float64Array, im: Float64Array, preEmphasis: number) {
  re.fill(0);
  im.fill(0);
  for (let n = 0; n < FRAME; n++) {
    const prev = start + n > 0 ? samples[start + n - 1] : 0;
    re[n] = (samples[start + n] - preEmphasis * prev) * hamming[n];
  }
}

function cepstrum(power: Float64Array): Float32Array {
  const logMel = new Float64Array(MEL_BANDS);
  for (let m = 0; m < MEL_BANDS; m++) {
    const { from, weights } = melFilters[m];
    let sum = 0;
    for (let i = 0; i < weights.length; i++) sum += weights[i] * power[from + i];
    logMel[m] = Math.log(sum + 1e-10);
  }
  const out = new Float32Array(CEPSTRA);
  for (let k = 0; k < CEPSTRA; k++) {
    let sum = 0;
    for (let m = 0; m < MEL_BANDS; m++) sum += dct[k][m] * logMel[m];
    out[k] = sum;
  }
  return out;
}

/** The autocorrelation is the inverse FFT of the power spectrum: forward FFT of it, conjugated. */
function pitch(re: Float64Array, im: Float64Array): number {
  for (let k = 0; k < FFT_SIZE; k++) {
    re[k] = re[k] * re[k] + im[k] * im[k];
    im[k] = 0;
  }
  fft(re, im);
  const r0 = re[0];
  if (r0 < 1e-6) return Number.NaN;
  let best = 0;
  let bestLag = 0;
  for (let lag = Math.floor(SAMPLE_RATE / MAX_F0); lag <= Math.ceil(SAMPLE_RATE / MIN_F0); lag++) {
    const r = re[lag] / r0 / windowAcf[lag];
    if (r > best) {
      best = r;
      bestLag = lag;
    }
  }
  return best > 0.45 ? Math.log2(SAMPLE_RATE / bestLag) : Number.NaN;
}

function autocorrelation(x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let lag = 0; lag < x.length; lag++) {
    let sum = 0;
    for (let n = lag; n < x.length; n++) sum += x[n] * x[n - lag];
    out[lag] = sum;
  }
  for (let lag = x.length - 1; lag >= 0; lag--) out[lag] /= out[0];
  return out;
}

function melFilterbank(): Array<{ from: number; weights: Float64Array }> {
  const mel = (hz: number) => 2595 * Math.log10(1 + hz / 700);
  const hz = (m: number) => 700 * (10 ** (m / 2595) - 1);
  const lo = mel(60);
  const hi = mel(7600);
  const edges = Array.from({ length: MEL_BANDS + 2 }, (_, i) => (hz(lo + ((hi - lo) * i) / (MEL_BANDS + 1)) * FFT_SIZE) / SAMPLE_RATE);
  return Array.from({ length: MEL_BANDS }, (_, m) => {
    const [left, centre, right] = [edges[m], edges[m + 1], edges[m + 2]];
    const from = Math.ceil(left);
    const to = Math.floor(right);
    const weights = new Float64Array(Math.max(0, to - from + 1));
    for (let k = from; k <= to; k++) {
      weights[k - from] = k <= centre ? (k - left) / (centre - left) : (right - k) / (right - centre);
    }
    return { from, weights };
  });
}

/** In-place iterative radix-2 FFT; `re.length` must be a power of two. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j], re[i]];
      [im[i], im[j]] = [im[j], im[i]];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = (-2 * Math.PI) / len;
    const wRe = Math.cos(angle);
    const wIm = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let curRe = 1;
      let curIm = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tRe = re[b] * curRe - im[b] * curIm;
        const tIm = re[b] * curIm + im[b] * curRe;
        re[b] = re[a] - tRe;
        im[b] = im[a] - tIm;
        re[a] += tRe;
        im[a] += tIm;
        const next = curRe * wRe - curIm * wIm;
        curIm = curRe * wIm + curIm * wRe;
        curRe = next;
      }
    }
  }
}
