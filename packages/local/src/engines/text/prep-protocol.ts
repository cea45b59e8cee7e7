import type { PixelBox } from "./regions.js";

/** What the text engine's pixel thread is asked: prepare one decoded frame (an 8-bit PGM file). */
export interface PrepRequest {
  id: number;
  framePath: string;
  /** Crops are written to `${cropPrefix}-<n>.pgm`. */
  cropPrefix: string;
}

/** One probable line, written for reading: where it is in the frame, and how much it was upscaled. */
export interface PreparedCrop {
  path: string;
  box: PixelBox;
  scale: number;
}

export interface PreparedFrame {
  width: number;
  height: number;
  crops: PreparedCrop[];
}

export type PrepReply = { id: number; ok: true; value: PreparedFrame } | { id: number; ok: false; error: { message: string; stack?: string } };
