import { PhotoNeedsDescription } from '../errors.ts';

// The author's form asks for a description of every photo, or a deliberate "decorative" (alt="").
// The API does not: scripts and devices may post photos without one, as before.

/** Throws unless every photo sent has a non-blank description, or the author marked them decorative. */
export function ensureDescribed(photo: unknown, alt: unknown, decorative: boolean): void {
  if (decorative) return;
  const files = (photo === undefined ? [] : Array.isArray(photo) ? photo : [photo]).filter(
    (file) => !(Buffer.isBuffer(file) && file.length === 0), // an empty file input sends an empty part
  );
  const alts = alt === undefined ? [] : Array.isArray(alt) ? alt : [alt];
  if (files.some((_, i) => String(alts[i] ?? '').trim() === '')) throw new PhotoNeedsDescription();
}
