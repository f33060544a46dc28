import proxyaddr from 'proxy-addr';

// Which reverse proxies are believed (LIVELOG_TRUST_PROXY): plain parsing, so the configuration
// can check the setting without reaching into the HTTP layer that uses it.

export type TrustProxy = (address: string, hop: number) => boolean;

/** The trust function for LIVELOG_TRUST_PROXY (comma-separated addresses, CIDRs or proxy-addr's
 *  names such as `loopback`); unset or empty trusts nobody. Throws on a malformed entry. */
export function trustedProxies(setting: string | undefined): TrustProxy {
  const entries = (setting ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) return () => false;
  return proxyaddr.compile(entries);
}
