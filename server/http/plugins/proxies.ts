import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

// Who is asking, as far as the network can tell. X-Forwarded-For and X-Request-Id are believed only
// when the connection comes from a configured reverse proxy: anyone else could write anything there
// and walk around every per-address limit (login throttle, viewer caps) or forge log lines.

export type TrustProxy = (address: string, hop: number) => boolean;

/** The trust function for LIVELOG_TRUST_PROXY (comma-separated addresses, CIDRs or proxy-addr's
 *  names such as `loopback`); unset or empty trusts nobody. Throws on a malformed entry. */
export function trustedProxies(setting: string | undefined): TrustProxy {
  const entries = (setting ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return () => false;
  return proxyaddr.compile(entries);
}

/** A proxy's request id is kept (so its log lines and ours match); anyone else's is ignored. */
export function requestIdGenerator(trust: TrustProxy): (request: IncomingMessage) => string {
  return (request) => {
    const sent = request.headers['x-request-id'];
    const peer = request.socket?.remoteAddress;
    if (typeof sent === 'string' && peer && trust(peer, 0) && /^[A-Za-z0-9._:-]{1,128}$/.test(sent)) return sent;
    return randomUUID();
  };
}
