import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { OutboundFrame, websocketTextFrame } from '../../server/live/outbound.ts';
import { websocketTransport } from '../../server/live/websocket.ts';
import type { ViewerTransport } from '../../server/live/transport.ts';

// A change's frame is built once and the same bytes go to every viewer: those bytes must be exactly
// what ws itself would have sent, and must never overtake or follow what ws holds or has closed.

/** A ws server and one client over loopback; `options` configure the server. */
async function pair(options: WebSocket.ServerOptions = {}) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  await new Promise((resolve) => server.once('listening', resolve));
  const connected = new Promise<{ socket: WebSocket; tcp: Socket }>((resolve) =>
    server.once('connection', (socket, request) => resolve({ socket, tcp: request.socket as Socket })),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  const received: string[] = [];
  client.on('message', (data: Buffer) => received.push(data.toString('utf8')));
  await new Promise((resolve) => client.once('open', resolve));
  const { socket, tcp } = await connected;
  return {
    socket,
    tcp,
    client,
    received,
    async until(count: number) {
      const deadline = Date.now() + 5000;
      while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    },
    close() {
      client.terminate();
      server.close();
    },
  };
}

// Short, both 16-bit lengths' edges, the 64-bit length, and text that is longer in bytes than in characters.
const texts = ['', '{"t":"ping"}', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(70), 'x'.repeat(65_535), 'x'.repeat(65_536), '{"html":"<p>Tor! ⚽ 1:0</p>"}'];

test('a frame built once is byte for byte what ws sends for the same text', async () => {
  const { socket, tcp, close } = await pair();
  try {
    for (const text of texts) {
      const written: Buffer[] = [];
      const write = tcp.write;
      tcp.write = ((chunk: Buffer | string, ...rest: never[]) => {
        written.push(Buffer.from(chunk));
        return write.call(tcp, chunk, ...rest);
      }) as typeof tcp.write;
      socket.send(text);
      tcp.write = write;
      assert.deepEqual(websocketTextFrame(Buffer.from(text)), Buffer.concat(written), `${Buffer.byteLength(text)} bytes`);
    }
  } finally {
    close();
  }
});

test('viewers receive the shared bytes as the messages a normal send gives, in order with ws own sends', async () => {
  const { socket, tcp, received, until, close } = await pair();
  try {
    const transport = websocketTransport(socket, tcp);
    const shared = texts.map((text, seq) => new OutboundFrame(text, seq));
    transport.batch(() => {
      for (const frame of shared) transport.send(frame);
    });
    socket.send('through ws');
    transport.send(shared[1]!); // the same frame object again: its bytes are reused, not rebuilt
    await until(texts.length + 2);
    assert.deepEqual(received, [...texts, 'through ws', '{"t":"ping"}']);
    assert.equal(shared[1]!.websocketBytes(), shared[1]!.websocketBytes(), 'built once');
  } finally {
    close();
  }
});

test('a probe and a frame in one batch leave in one write to the connection, and the probe is answered', async () => {
  const { socket, tcp, client, received, until, close } = await pair();
  try {
    const transport = websocketTransport(socket, tcp);
    let alive = false;
    transport.onAlive(() => (alive = true));
    const writes: number[] = [];
    for (const method of ['_write', '_writev'] as const) {
      const original = tcp[method] as (...args: unknown[]) => unknown;
      tcp[method] = ((...args: unknown[]) => {
        writes.push(method === '_writev' ? (args[0] as unknown[]).length : 1);
        return original.apply(tcp, args);
      }) as never;
    }
    transport.batch(() => {
      transport.probe();
      transport.send(new OutboundFrame('{"t":"ping"}'));
    });
    await until(1);
    while (!alive) await new Promise((r) => setTimeout(r, 5)); // the client's automatic pong
    assert.deepEqual(writes, [3], 'one writev: the ping frame (header and payload) and the text frame');
    assert.deepEqual(received, ['{"t":"ping"}']);
    assert.equal(client.readyState, WebSocket.OPEN);
  } finally {
    close();
  }
});

test('a frame waits behind data ws still holds (a message being compressed) instead of overtaking it', async () => {
  const { socket, tcp, received, until, close } = await pair({ perMessageDeflate: { threshold: 0 } });
  try {
    const transport: ViewerTransport = websocketTransport(socket, tcp);
    socket.send('first, compressed by ws'); // compression is asynchronous: ws queues what follows
    assert.ok(socket.bufferedAmount > tcp.writableLength, 'ws holds the message while it compresses it');
    transport.send(new OutboundFrame('second', 1));
    await until(2);
    assert.deepEqual(received, ['first, compressed by ws', 'second']);
  } finally {
    close();
  }
});

test('a socket that is closing gets no frame after its close frame', async () => {
  const { socket, tcp, client, close } = await pair();
  try {
    const transport = websocketTransport(socket, tcp);
    const closed = new Promise<number>((resolve) => client.once('close', (code) => resolve(code)));
    socket.close(1001, 'restarting');
    const written: unknown[] = [];
    const write = tcp.write;
    tcp.write = ((...args: Parameters<typeof write>) => {
      written.push(args[0]);
      return write.apply(tcp, args);
    }) as typeof tcp.write;
    transport.send(new OutboundFrame('too late', 1));
    assert.deepEqual(written, [], 'nothing written after the close frame');
    assert.equal(await closed, 1001);
  } finally {
    close();
  }
});

test('an SSE change event carries EPOCH.SEQ as its id; other frames carry none', () => {
  const change = new OutboundFrame('{"t":"post","seq":7}', 7);
  assert.equal(change.sseBytes('e1').toString(), 'id: e1.7\ndata: {"t":"post","seq":7}\n\n');
  assert.equal(change.sseBytes('e1'), change.sseBytes('e1'), 'built once for every SSE viewer');
  assert.equal(new OutboundFrame('{"t":"ping"}').sseBytes('e1').toString(), 'data: {"t":"ping"}\n\n');
});
