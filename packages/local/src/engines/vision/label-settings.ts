/**
 * The label models' settings: applied in the vision worker (worker/human-models.ts) and reported, or
 * checked, by the detector on the main thread (human-labels.ts), so both read them from here.
 */

/**
 * The longer side objects are detected at (CenterNet's converted input size). The frame source scales
 * the frames it streams to fit it, so the model gets them at its own size straight from ffmpeg.
 */
export const HUMAN_INPUT_SIDE = 512;

/** Faces below this are dropped: lower, blazeface finds faces on cats and motorcycles. */
export const FACE_MIN_CONFIDENCE = 0.6;

/** The object model's own floor; `minConfidence` filters above it. */
export const OBJECT_FLOOR = 0.1;

/** Most objects kept per frame (human's `object.maxDetected`). */
export const MAX_OBJECTS = 30;

/** Faces are looked for on frames where CenterNet finds this class at this score or more (see worker/human-models.ts). */
export const FACE_GATE_CLASS = "person";
export const FACE_GATE_SCORE = 0.2;
