// The floor: a bare `ws` broadcaster with no database, no history and no checks. POST /publish
// sends the request body as a text frame to every open websocket, one `send` per socket (what a
// naive broadcaster does). Used by floor.ts as the yardstick.
//   node --import tsx scripts/bench/bare-broadcaster.ts PORT
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 4210);
const server = createServer((request, response) => {
  if (request.method !== 'POST' || request.url !== '/publish') {
    response.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const message = Buffer.concat(chunks).toString('utf8');
    for (const client of wss.clients) client.send(message);
    response.writeHead(200, { 'content-type': 'application/json' }).end(`{"clients":${wss.clients.size}}`);
  });
});
const wss = new WebSocketServer({ server, maxPayload: 1024 });
wss.on('connection', (socket) => socket.on('error', () => socket.terminate()));
server.listen(port, '127.0.0.1', () => process.stderr.write(`bare broadcaster listening on ${port}\n`));
process.on('SIGTERM', () => process.exit(0));
