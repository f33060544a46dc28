// One process of floor.ts's load client: opens its share of the viewers (spread over loopback
// source addresses, to get past one address's ephemeral ports) and notes when each post's marker
// reaches each viewer. Forked by floor.ts and driven over IPC; it never parses the frames, so the
// three servers' formats cost the client the same.
import WebSocket from 'ws';

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
const MARKER = /floor-post-(\d+)-/g;

let sockets: WebSocket[] = [];
let arrivals = new Float64Array(0);
let delivered = 0;
let closed = 0;
let posts = 0;

function open(order: ConnectOrder, viewer: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(order.url, { localAddress: order.addresses[(order.first + viewer) % order.addresses.length], perMessageDeflate: false });
    let ready = false;
    socket.on('error', (error) => (ready ? undefined : reject(error)));
    socket.on('close', () => {
      if (ready) closed++;
      else reject(new Error('closed before it was ready'));
    });
    socket.on('open', () => {
      if (order.protocol === 'plain') ready = true;
      if (order.protocol === 'centrifugo') socket.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"floor"}}');
      if (ready) resolve(socket);
    });
    socket.on('message', (data: Buffer) => {
      const text = data.toString('latin1');
      if (!ready) {
        // Livelog's hello, or Centrifugo's answer to the subscribe command: now it is listening.
        if (order.protocol === 'livelog' ? text.includes('"t":"hello"') : text.includes('"id":2')) {
          ready = true;
          resolve(socket);
        }
      }
      if (order.protocol === 'centrifugo' && text === '{}') socket.send('{}'); // its ping wants a pong
      for (const match of text.matchAll(MARKER)) {
        const slot = viewer * posts + Number(match[1]);
        if (slot < arrivals.length && arrivals[slot] === 0) {
          arrivals[slot] = now();
          delivered++;
        }
      }
    });
  });
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
    for (const socket of sockets) socket?.terminate();
    sockets = [];
    setTimeout(() => process.exit(0), 200);
  }
});
