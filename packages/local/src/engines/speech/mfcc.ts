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
const PRE_EMPHASIS = 0.97;
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

/**
 * Features of every full frame in `samples` (16 kHz mono). Frames go in pairs through three FFTs
 * instead of six (the diarizer's largest cost on long audio): a real signal's spectrum is conjugate
 * symmetric, so one complex FFT carries two real ones — the raw and the pre-emphasized frame — and
 * the autocorrelations of two frames' power spectra (real and even, so their transforms are real)
 * come out of one FFT as its real and imaginary parts.
 */
export function frameFeatures(samples: Float32Array): FrameFeatures {
  const count = samples.length < FRAME ? 0 : Math.floor((samples.length - FRAME) / HOP) + 1;
  const mfcc: Float32Array[] = new Array(count);
  const logF0 = new Float32Array(count);
  const re = new Float64Array(FFT_SIZE);
  const im = new Float64Array(FFT_SIZE);
  const powerA = new Float64Array(FFT_SIZE);
  const powerB = new Float64Array(FFT_SIZE);
  const emphasized = new Float64Array(FFT_SIZE / 2 + 1);
  for (let f = 0; f < count; f += 2) {
    const pair = f + 1 < count;
    spectra(samples, f * HOP, re, im, powerA, emphasized);
    mfcc[f] = cepstrum(emphasized);
    if (pair) {
      spectra(samples, (f + 1) * HOP, re, im, powerB, emphasized);
      mfcc[f + 1] = cepstrum(emphasized);
    } else {
      powerB.fill(0);
    }
    re.set(powerA);
    im.set(powerB);
    fft(re, im);
    logF0[f] = pitch(re);
    if (pair) logF0[f + 1] = pitch(im);
  }
  return { mfcc, logF0 };
}

/**
 * One frame's power spectra: of the raw frame, every bin (for pitch: pre-emphasis would weaken the
 * fundamental), and of the pre-emphasized frame up to Nyquist (for the MFCCs). The raw frame goes in
 * as the real part and the pre-emphasized one as the imaginary part of one FFT, Z = X + iY; then
 * X[k] = (Z[k] + conj Z[N−k]) / 2 and Y[k] = (Z[k] − conj Z[N−k]) / 2i.
 */
function spectra(samples: Float32Array, start: number, re: Float64Array, im: Float64Array, raw: Float64Array, emphasized: Float64Array): void {
  re.fill(0);
  im.fill(0);
  for (let n = 0; n < FRAME; n++) {
    const x = samples[start + n];
    const prev = start + n > 0 ? samples[start + n - 1] : 0;
    re[n] = x * hamming[n];
    im[n] = (x - PRE_EMPHASIS * prev) * hamming[n];
  }
  fft(re, im);
  for (let k = 0; k < FFT_SIZE; k++) {
    const j = (FFT_SIZE - k) & (FFT_SIZE - 1);
    const xr = (re[k] + re[j]) / 2;
    const xi = (im[k] - im[j]) / 2;
    raw[k] = xr * xr + xi * xi;
    if (k <= FFT_SIZE / 2) {
      const yr = (im[k] + im[j]) / 2;
      const yi = (re[j] - re[k]) / 2;
      emphasized[k] = yr * yr + yi * yi;
    }
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

/**
 * F0 from a frame's autocorrelation (the FFT of its power spectrum, unnormalised), normalised by the
 * window's own autocorrelation; NaN when the frame is silent or unvoiced.
 */
function pitch(acf: Float64Array): number {
  const r0 = acf[0];
  if (r0 < 1e-6) return Number.NaN;
  let best = 0;
  let bestLag = 0;
  for (let lag = Math.floor(SAMPLE_RATE / MAX_F0); lag <= Math.ceil(SAMPLE_RATE / MIN_F0); lag++) {
    const r = acf[lag] / r0 / windowAcf[lag];
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

/** Bit-reversal permutation and twiddle factors (e^−2πik/N, exact rather than by recurrence) for FFT_SIZE. */
const REVERSED = Uint16Array.from({ length: FFT_SIZE }, (_, i) => {
  let r = 0;
  for (let bit = 1, rbit = FFT_SIZE >> 1; bit < FFT_SIZE; bit <<= 1, rbit >>= 1) if (i & bit) r |= rbit;
  return r;
});
const COS = Float64Array.from({ length: FFT_SIZE / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / FFT_SIZE));
const SIN = Float64Array.from({ length: FFT_SIZE / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / FFT_SIZE));

/** In-place iterative radix-2 FFT of FFT_SIZE points. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = FFT_SIZE;
  if (re.length !== n || im.length !== n) throw new RangeError(`fft: expected ${n} points`);
  for (let i = 1; i < n; i++) {
    const j = REVERSED[i];
    if (i < j) {
      const r = re[i];
      re[i] = re[j];
      re[j] = r;
      const m = im[i];
      im[i] = im[j];
      im[j] = m;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const stride = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wRe = COS[k * stride];
        const wIm = SIN[k * stride];
        const a = i + k;
        const b = a + half;
        const tRe = re[b] * wRe - im[b] * wIm;
        const tIm = re[b] * wIm + im[b] * wRe;
        re[b] = re[a] - tRe;
        im[b] = im[a] - tIm;
        re[a] += tRe;
        im[a] += tIm;
      }
    }
  }
}
