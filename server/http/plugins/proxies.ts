import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TrustProxy } from '../../proxy-trust.ts';

// Who is asking, as far as the network can tell. X-Forwarded-For and X-Request-Id are believed only
// when the connection comes from a configured reverse proxy: anyone else could write anything there
// and walk around every per-address limit (login throttle, viewer caps) or forge log lines.
// Which proxies are configured (LIVELOG_TRUST_PROXY) is parsed in server/proxy-trust.ts.

/** A proxy's request id is kept (so its log lines and ours match); anyone else's is ignored. */
export function requestIdGenerator(trust: TrustProxy): (request: IncomingMessage) => string {
  return (request) => {
    const sent = request.headers['x-request-id'];
    const peer = request.socket?.remoteAddress;
    if (typeof sent === 'string' && peer && trust(peer, 0) && /^[A-Za-z0-9._:-]{1,128}$/.test(sent)) return sent;
    return randomUUID();
  };
}
