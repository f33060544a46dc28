import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The browser assets carry a hash of their content in their name (scripts/build-client.mjs), so
// they can be cached for a year; dist/client/manifest.json maps each source name to its built name.

const MANIFEST_PATH = fileURLToPath(new URL('../../dist/client/manifest.json', import.meta.url));

/** A built asset (`live-ABCD1234.js`) or its precompressed twin (`.br`, `.gz`). */
export const HASHED_ASSET = /-[A-Z0-9]{8}\.(js|css)(\.br|\.gz)?$/;

let manifest: Record<string, string> | undefined;

/** The served name of an asset (`live.js` -> `live-ABCD1234.js`), read from the manifest once. */
export function assetName(name: string): string {
  if (!manifest) {
    try {
      manifest = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as Record<string, string>;
    } catch {
      // Not built yet (some tests render views without a client build): names stay as they are.
      return name;
    }
  }
  return manifest[name] ?? name;
}
