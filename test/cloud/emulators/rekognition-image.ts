import { readFile, rm } from "node:fs/promises";
import type { EmulatorEngines } from "./engines.js";
import { toPpm, writeScratch } from "./engines.js";
import { AwsServiceError, num, obj, str } from "./http.js";
import type { MotoAccess } from "./moto-access.js";
import { labelsOf } from "./rekognition-results.js";
import { textDetectionsOf, textFilters } from "./rekognition-text.js";

/*
 * Rekognition's image operations, DetectLabels and DetectModerationLabels, on the local engines:
 * the same human (COCO objects) and nsfwjs models the video jobs and the local runtime use, on the one
 * image; and DetectText on the emulator's OCR (engines.ts).
 * https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectLabels.html
 */

/** `Image.Bytes` may hold at most 5 MB; an S3 object at most 15 MB. */
const MAX_BYTES = 5 * 1024 * 1024;
const MAX_S3_BYTES = 15 * 1024 * 1024;

function kindOf(bytes: Uint8Array): "jpeg" | "png" | undefined {
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return "png";
  return undefined;
}

/** The image of a request (inline bytes or an S3 object), checked as Rekognition checks it. */
async function imageBytes(input: Record<string, unknown>, moto: MotoAccess, engines: EmulatorEngines): Promise<Uint8Array> {
  const image = obj(input, "Image", { required: true });
  if (typeof image.Bytes === "string") {
    const bytes = Buffer.from(image.Bytes, "base64");
    if (bytes.length > MAX_BYTES) throw new AwsServiceError("ImageTooLargeException", "Image size is too large.");
    return bytes;
  }
  const s3 = obj(image, "S3Object");
  const bucket = str(s3, "Bucket", { min: 3, max: 255 });
  const name = str(s3, "Name", { min: 1, max: 1024 });
  if (!bucket || !name) throw new AwsServiceError("InvalidParameterException", "Request has invalid parameters: Image must have Bytes or S3Object.");
  const head = await moto.head(bucket, name);
  if (!head) throw new AwsServiceError("InvalidS3ObjectException", "Unable to get object metadata from S3. Check object key, region and/or access permissions.");
  if (head.size > MAX_S3_BYTES) throw new AwsServiceError("ImageTooLargeException", "Image size is too large.");
  const media = await engines.materialize(bucket, name, head.etag);
  return readFile(media.file);
}

/** Writes the image where a vision thread can read it: a JPEG as it is, anything else as PPM. */
async function imageFile(bytes: Uint8Array, engines: EmulatorEngines): Promise<{ file: string; format: "jpeg" | "ppm"; remove: () => Promise<void> }> {
  const kind = kindOf(bytes);
  if (!kind) throw new AwsServiceError("InvalidImageFormatException", "Request has invalid image format");
  const file = engines.scratch(`image.${kind === "jpeg" ? "jpg" : "png"}`);
  const remove = await writeScratch(file, bytes);
  if (kind === "jpeg") return { file, format: "jpeg", remove };
  const ppm = `${file}.ppm`;
  try {
    await toPpm(await engines.ffmpegPath(), file, ppm);
  } catch {
    await remove();
    throw new AwsServiceError("InvalidImageFormatException", "Request has invalid image format");
  }
  return {
    file: ppm,
    format: "ppm",
    remove: async () => {
      await remove();
      await rm(ppm, { force: true });
    },
  };
}

export function imageOperations(moto: MotoAccess, engines: EmulatorEngines) {
  return {
    async DetectLabels(input: Record<string, unknown>) {
      const minConfidence = num(input, "MinConfidence", { min: 0, max: 100 }) ?? 55;
      const maxLabels = num(input, "MaxLabels", { min: 0, integer: true }) ?? 1000;
      const image = await imageFile(await imageBytes(input, moto, engines), engines);
      try {
        const { detections, version } = await engines.labelImage(image.file, image.format);
        const labels = labelsOf(detections, minConfidence).sort((a, b) => b.Confidence - a.Confidence).slice(0, maxLabels);
        return { Labels: labels, LabelModelVersion: `emulated: @vladmandic/human ${version}` };
      } finally {
        await image.remove();
      }
    },

    async DetectModerationLabels(input: Record<string, unknown>) {
      const minConfidence = num(input, "MinConfidence", { min: 0, max: 100 }) ?? 50;
      const image = await imageFile(await imageBytes(input, moto, engines), engines);
      try {
        const { labels, version } = await engines.moderateImage(image.file, image.format);
        const moderation = labels
          .filter((l) => l.confidence >= minConfidence)
          .sort((a, b) => b.confidence - a.confidence)
          .map((l) => ({ Confidence: Math.round(l.confidence * 100) / 100, Name: l.name, ParentName: l.parent, TaxonomyLevel: l.parent ? 2 : 1 }));
        return { ModerationLabels: moderation, ModerationModelVersion: `emulated: nsfwjs ${version}`, ContentTypes: [] };
      } finally {
        await image.remove();
      }
    },

    // https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectText.html
    async DetectText(input: Record<string, unknown>) {
      const filters = textFilters(input);
      const image = await imageFile(await imageBytes(input, moto, engines), engines);
      try {
        const { detections, engine } = await engines.recognizeImageText(image.file, image.format);
        return { TextDetections: textDetectionsOf(detections, filters), TextModelVersion: `emulated: ${engine.name} ${engine.version}` };
      } finally {
        await image.remove();
      }
    },
  };
}
