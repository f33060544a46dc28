// One process of floor.ts's load client: opens its share of the viewers (spread over loopback
// source addresses, to get past one address's ephemeral ports) and notes when each post's marker
// reaches each viewer. Forked by floor.ts and driven over IPC; it never parses the messages (it
// finds the marker in the bytes), so the three servers' formats cost the client the same.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export type Protocol = 'livelog' | 'plain' | 'centrifugo';

export interface ConnectOrder {
  type: 'connect';
  url: string;
  protocol: Protocol;
  /** Global index of this process's first viewer, how many it opens and how many at once. */
  first: number;
  count: number;
  concurrency: number;
  addresses: string[];
  posts: number;
}

export type FromViewers =
  | { type: 'connected'; open: number; failed: number }
  | { type: 'progress'; open: number }
  | { type: 'delivered'; delivered: number }
  | { type: 'arrivals'; arrivals: number[]; closed: number };

const send = (message: FromViewers) => process.send!(message);
const now = () => performance.timeOrigin + performance.now();
const MARKER = Buffer.from('floor-post-');

let sockets: Socket[] = [];
let arrivals = new Float64Array(0);
let delivered = 0;
let closed = 0;
let posts = 0;

/**
 * One viewer on a bare TCP connection speaking just enough websocket: the upgrade, then frames read
 * in place (no message objects, no text decoding), pongs for pings. A load client this cheap leaves
 * the machine's cores to the servers it measures.
 */
function open(order: ConnectOrder, viewer: number): Promise<Socket> {
  const url = new URL(order.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress: order.addresses[(order.first + viewer) % order.addresses.length] });
    let ready = false;
    let upgraded = false;
    let pending: Buffer = Buffer.alloc(0);
    socket.setNoDelay(true);
    socket.on('error', (error) => (ready ? undefined : reject(error)));
    socket.on('close', () => {
      if (ready) closed++;
      else reject(new Error('closed before it was ready'));
    });
    socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    const becomeReady = () => {
      ready = true;
      resolve(socket);
    };
    const text = (payload: Buffer) => {
      if (!ready && (order.protocol === 'livelog' ? payload.includes('"t":"hello"') : payload.includes('"id":2'))) becomeReady();
      if (order.protocol === 'centrifugo' && payload.length === 2 && payload.toString() === '{}') socket.write(clientFrame(OPCODE_TEXT, payload)); // its ping wants a pong
      for (let at = payload.indexOf(MARKER); at !== -1; at = payload.indexOf(MARKER, at + MARKER.length)) {
        let post = 0;
        for (let i = at + MARKER.length; payload[i]! >= 0x30 && payload[i]! <= 0x39; i++) post = post * 10 + payload[i]! - 0x30;
        const slot = viewer * posts + post;
        if (slot < arrivals.length && arrivals[slot] === 0) {
          arrivals[slot] = now();
          delivered++;
        }
      }
    };
    socket.on('data', (chunk: Buffer) => {
      let data: Buffer = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      if (!upgraded) {
        const end = data.indexOf('\r\n\r\n');
        if (end === -1) {
          pending = data;
          return;
        }
        if (!data.subarray(0, 12).toString().includes(' 101')) return socket.destroy(new Error(data.subarray(0, end).toString()));
        upgraded = true;
        data = data.subarray(end + 4);
        if (order.protocol === 'plain') becomeReady();
        if (order.protocol === 'centrifugo') socket.write(clientFrame(OPCODE_TEXT, Buffer.from('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"floor"}}')));
      }
      let offset = 0;
      while (data.length - offset >= 2) {
        const opcode = data[offset]! & 0x0f;
        let length = data[offset + 1]! & 0x7f;
        let header = 2;
        if (length === 126) {
          if (data.length - offset < 4) break;
          length = data.readUInt16BE(offset + 2);
          header = 4;
        } else if (length === 127) {
          if (data.length - offset < 10) break;
          length = Number(data.readBigUInt64BE(offset + 2));
          header = 10;
        }
        if (data.length - offset < header + length) break;
        const payload = data.subarray(offset + header, offset + header + length);
        if (opcode === OPCODE_TEXT) text(payload);
        else if (opcode === OPCODE_PING) socket.write(clientFrame(OPCODE_PONG, payload));
        offset += header + length;
      }
      pending = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
    });
  });
}

const OPCODE_TEXT = 0x1;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;

/** A client's frame: always masked (RFC 6455); short payloads only (pongs and commands). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  if (payload.length > 125) throw new Error('client frames here are short');
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

async function connectAll(order: ConnectOrder): Promise<void> {
  posts = order.posts;
  arrivals = new Float64Array(order.count * order.posts);
  delivered = 0;
  closed = 0;
  sockets = new Array(order.count);
  let next = 0;
  let failed = 0;
  let opened = 0;
  const progress = setInterval(() => send({ type: 'progress', open: opened }), 2000);
  const lane = async () => {
    while (next < order.count) {
      const viewer = next++;
      for (let attempt = 0; ; attempt++) {
        try {
          sockets[viewer] = await open(order, viewer);
          opened++;
          break;
        } catch {
          if (attempt === 4) {
            failed++;
            break;
          }
          await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: order.concurrency }, lane));
  clearInterval(progress);
  send({ type: 'connected', open: opened, failed });
}

let reporter: NodeJS.Timeout | undefined;
process.on('message', (message: ConnectOrder | { type: 'watch' | 'report' | 'close' }) => {
  if (message.type === 'connect') void connectAll(message);
  if (message.type === 'watch') {
    let last = -1;
    reporter = setInterval(() => {
      if (delivered === last) return;
      last = delivered;
      send({ type: 'delivered', delivered });
    }, 50);
  }
  if (message.type === 'report') {
    clearInterval(reporter);
    send({ type: 'arrivals', arrivals: Array.from(arrivals), closed });
  }
  if (message.type === 'close') {
    for (const socket of sockets) socket?.destroy();
    sockets = [];
    setTimeout(() => process.exit(0), 200);
  }
});
