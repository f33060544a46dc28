// A frame as it goes on the wire, built once and shared by every viewer it goes to. A change reaching
// 10,000 viewers is turned into bytes once per transport, not once per socket: each socket then
// gets the same Buffer in a single write (no per-viewer string conversion, length scan or framing).

/**
 * One message for viewers: its text, and the bytes each transport sends for it, made on first
 * use and kept (a change framed for websockets and never for SSE costs nothing for SSE).
 */
export class OutboundFrame {
  private websocket: Buffer | undefined;
  private sse: Buffer | undefined;
  private sseEpoch: string | undefined;

  /** `seq` is given for change frames (SSE uses it as the event id). */
  constructor(
    readonly text: string,
    readonly seq?: number,
  ) {}

  /** A whole websocket text frame (RFC 6455): header and payload, unmasked as a server sends it. */
  websocketBytes(): Buffer {
    if (!this.websocket) this.websocket = websocketTextFrame(Buffer.from(this.text, 'utf8'));
    return this.websocket;
  }

  /** A whole Server-Sent Event; a stream's epoch never changes while its viewers are attached. */
  sseBytes(epoch: string): Buffer {
    if (!this.sse || this.sseEpoch !== epoch) {
      this.sse = Buffer.from(this.seq === undefined ? `data: ${this.text}\n\n` : `id: ${epoch}.${this.seq}\ndata: ${this.text}\n\n`, 'utf8');
      this.sseEpoch = epoch;
    }
    return this.sse;
  }
}

const FIN_TEXT = 0x81;

/** Header (2, 4 or 10 bytes: the length's three encodings) and payload, in one Buffer. */
export function websocketTextFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
