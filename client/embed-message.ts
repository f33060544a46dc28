// The one message the embed sends its host page: its height, so the host can size the frame. A
// fixed shape with nothing secret in it; the host checks the shape and the sender's origin.

export interface EmbedHeight {
  livelog: 'embed-height';
  stream: string;
  height: number;
}

/** Taller than any page a reader scrolls: a bound against a frame told to grow without end. */
export const MAX_EMBED_HEIGHT = 100_000;

export function heightMessage(stream: string, height: number): EmbedHeight {
  return { livelog: 'embed-height', stream, height: Math.min(Math.ceil(height), MAX_EMBED_HEIGHT) };
}

/** The message if it is an embed height, else null (other scripts post messages too). */
export function parseHeightMessage(data: unknown): EmbedHeight | null {
  if (typeof data !== 'object' || data === null) return null;
  const { livelog, stream, height } = data as Record<string, unknown>;
  if (livelog !== 'embed-height' || typeof stream !== 'string' || !/^[a-z0-9-]{1,64}$/.test(stream)) return null;
  if (typeof height !== 'number' || !Number.isFinite(height) || height < 0 || height > MAX_EMBED_HEIGHT) return null;
  return { livelog, stream, height };
}
