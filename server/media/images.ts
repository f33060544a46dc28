import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { Binary, type Collection } from 'mongodb';
import { isDuplicateKey, type Database } from '../db/database.ts';
import { ImageTooLarge, NotAFile, NotAnImage, TooManyPhotos } from '../errors.ts';
import type { MediaRef } from '../log/records.ts';

// Photos. Whatever arrives is decoded by content (never by name or declared type), bounded in size
// and pixels, and re-encoded: the stored file is one we wrote, with no EXIF (so no GPS position),
// no scripts, no surprises. Stored as one document keyed by the SHA-256 of the re-encoded bytes,
// which works the same on MongoDB and FerretDB (GridFS on FerretDB scans) and across instances.

export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
export const MAX_PHOTOS_PER_POST = 4;
export const MAX_ALT_LENGTH = 500;
/** Decoding bigger images than this is refused before it can eat the server's memory. */
const MAX_INPUT_PIXELS = 50_000_000;
/** The longest side of a stored photo: plenty for a live blog, and a few hundred KB at most. */
const MAX_SIDE = 2048;
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif']);

export interface MediaRecord {
  _id: string; // hex SHA-256 of `bytes`
  type: 'image/webp';
  width: number;
  height: number;
  bytes: Binary;
  createdAt: Date;
}

/** The `media` collection: its one reader and writer. */
export class Images {
  private readonly media: Collection<MediaRecord>;

  constructor(database: Database) {
    this.media = database.collection<MediaRecord>('media');
  }

  /** Checks, re-encodes and stores one uploaded photo; the same photo twice is stored once. */
  async store(upload: Buffer, alt: string): Promise<MediaRef> {
    let format: string | undefined;
    let pixels = 0;
    try {
      const metadata = await sharp(upload, { limitInputPixels: false }).metadata();
      format = metadata.format;
      pixels = (metadata.width ?? 0) * (metadata.height ?? 0);
    } catch {
      throw new NotAnImage();
    }
    if (!format || !ACCEPTED_FORMATS.has(format)) throw new NotAnImage();
    if (pixels > MAX_INPUT_PIXELS) throw new ImageTooLarge(MAX_INPUT_PIXELS / 1e6);
    let output: { data: Buffer; info: sharp.OutputInfo };
    try {
      output = await sharp(upload, { limitInputPixels: MAX_INPUT_PIXELS })
        .rotate() // apply the EXIF orientation before the EXIF is dropped
        .resize({ width: MAX_SIDE, height: MAX_SIDE, fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 82 })
        .toBuffer({ resolveWithObject: true });
    } catch {
      throw new NotAnImage();
    }
    const id = createHash('sha256').update(output.data).digest('hex');
    const record: MediaRecord = {
      _id: id,
      type: 'image/webp',
      width: output.info.width,
      height: output.info.height,
      bytes: new Binary(output.data),
      createdAt: new Date(),
    };
    try {
      await this.media.insertOne(record);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    return { id, alt: cleanAlt(alt), width: record.width, height: record.height };
  }

  async get(id: string): Promise<MediaRecord | null> {
    return this.media.findOne({ _id: id });
  }

  /** Removes photos no longer referred to (a purge): whoever asks must know none is in use. */
  async remove(ids: string[]): Promise<void> {
    if (ids.length) await this.media.deleteMany({ _id: { $in: ids } });
  }
}

function cleanAlt(alt: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  return alt.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, MAX_ALT_LENGTH);
}

/**
 * The photos of a form or API request: one or several `photo` file parts, with `alt` texts in the
 * same order. An empty part (a form sent with no file chosen) is no photo.
 */
export async function storePhotos(images: Images, photo: unknown, alt: unknown): Promise<MediaRef[]> {
  const files = (photo === undefined ? [] : Array.isArray(photo) ? photo : [photo]).filter(
    (file) => !(Buffer.isBuffer(file) && file.length === 0),
  );
  if (files.length > MAX_PHOTOS_PER_POST) throw new TooManyPhotos(MAX_PHOTOS_PER_POST);
  if (!files.every((file) => Buffer.isBuffer(file))) throw new NotAFile();
  const alts = alt === undefined ? [] : Array.isArray(alt) ? alt : [alt];
  const stored: MediaRef[] = [];
  for (const [i, file] of (files as Buffer[]).entries()) stored.push(await images.store(file, String(alts[i] ?? '')));
  return stored;
}
