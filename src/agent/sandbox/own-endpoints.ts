/**
 * The bot's own endpoints, as `address:port`: its HTTP port on every local address, and the
 * store's and session state's servers. The sandbox's gateway never connects to one of them, even
 * for a host the operator pinned (a pin to 127.0.0.1 for a local mirror must not reach Redis).
 */
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import { endpoint } from './egress-policy.js';

/** Default ports of the servers a store URL can name. */
const DEFAULT_PORTS: Record<string, number> = { 'redis:': 6379, 'rediss:': 6379, 'postgres:': 5432, 'postgresql:': 5432 };

export async function ownEndpoints(options: { httpPort: number; serverUrls: ReadonlyArray<string | undefined> }): Promise<Set<string>> {
  const out = new Set<string>();
  const local = ['127.0.0.1', '::1', '0.0.0.0', '::', ...Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address.replace(/%.*$/, '')))];
  if (options.httpPort > 0) for (const address of local) out.add(endpoint(address, options.httpPort));
  for (const raw of options.serverUrls) {
    if (!raw) continue;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      continue;
    }
    const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
    if (!port || !url.hostname) continue;
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const isLocalName = host === 'localhost' || host.endsWith('.localhost');
    const addresses = net.isIP(host)
      ? [host]
      : isLocalName
        ? local
        : await dns.promises.lookup(host, { all: true }).then(
            (found) => found.map((a) => a.address),
            () => [],
          );
    for (const address of addresses) out.add(endpoint(address, port));
  }
  return out;
}
