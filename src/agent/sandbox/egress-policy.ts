/**
 * Where the sandbox may connect to, as pure functions on names and addresses. Deny by default:
 * a host must match an allowed pattern, on an allowed port (80 and 443), and the address it
 * resolves to must be an ordinary public unicast address. Loopback, private, link-local (cloud metadata), shared, multicast, reserved and
 * documentation ranges are refused, whatever name led to them, with two exceptions only an
 * operator can make: a host pinned to an address in TOOLS_PINNED_HOSTS (an internal mirror, say),
 * and never the bot's own endpoints (`refusedEndpoints`), pinned or not.
 */
import ipaddr from 'ipaddr.js';
import { hostAllowed, normalHost, type HostPattern, type Pin } from '../../infra/host-names.js';

export { hostAllowed, normalHost, validHostPattern, type HostPattern, type Pin } from '../../infra/host-names.js';

/** Ports an allowed host may be reached on unless its pin names another: HTTP and HTTPS. */
export const WEB_PORTS: ReadonlySet<number> = new Set([80, 443]);

export interface EgressPolicy {
  /** Host names a connection may name. */
  allowed: readonly HostPattern[];
  /** host → where the operator put it (no lookup; may be private or loopback); a pin with a port opens that port only. */
  pinned: ReadonlyMap<string, Pin>;
  /** `address:port` never reached, pinned or not: the bot's own port, its store, its session state. */
  refusedEndpoints: ReadonlySet<string>;
}

/**
 * Whether a connection to this address is allowed when a name resolved to it: only public unicast.
 * IPv4-mapped and NAT64/6to4/Teredo-embedded IPv4 addresses are judged by the IPv4 inside.
 */
export function publicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) ip = v6.toIPv4Address();
    else {
      const range = v6.range();
      // Addresses that carry an IPv4 address inside are as good as that address, and no better.
      if (range === 'rfc6052' || range === 'rfc6145') ip = ipaddr.IPv4.parse(v6.toNormalizedString().split(':').slice(-2).map((h) => parseInt(h, 16)).flatMap((n) => [n >> 8, n & 255]).join('.'));
      else if (range === '6to4') {
        const parts = v6.parts;
        ip = ipaddr.IPv4.parse([parts[1]! >> 8, parts[1]! & 255, parts[2]! >> 8, parts[2]! & 255].join('.'));
      } else if (range === 'teredo') return false;
      // ::/96, the old IPv4-compatible form (::7f00:1 is 127.0.0.1): nothing public lives there.
      else if (v6.parts.slice(0, 6).every((p) => p === 0)) return false;
    }
  }
  return ip.range() === 'unicast';
}

/** Whether `chooseAddress` needs the addresses `host` resolves to (an allowed host, not pinned): else no lookup at all. */
export function needsLookup(host: string, policy: EgressPolicy): boolean {
  const h = normalHost(host);
  return hostAllowed(h, policy.allowed) && !policy.pinned.has(h);
}

export type ConnectDecision = { ok: true; address: string; pinned: boolean } | { ok: false; reason: string };

/**
 * Picks the address to connect to for `host:port`: the pinned one, or the first of `resolved`
 * that is public. The connection is then made to exactly that address (no second lookup), so a
 * name that changes its answer between check and connect (DNS rebinding) gains nothing.
 */
export function chooseAddress(host: string, port: number, policy: EgressPolicy, resolved: readonly string[]): ConnectDecision {
  const h = normalHost(host);
  if (!hostAllowed(h, policy.allowed)) return { ok: false, reason: `${h} is not an allowed host` };
  const pin = policy.pinned.get(h);
  // A pin to a private address must not open every service there (ssh, Docker, a kubelet): one port, or the web's.
  if (pin?.port !== undefined ? port !== pin.port : !WEB_PORTS.has(port)) return { ok: false, reason: `${h}:${port} is not an allowed port (${pin?.port ?? [...WEB_PORTS].join(', ')})` };
  const candidates = pin ? [pin.address] : resolved;
  for (const address of candidates) {
    if (!ipaddr.isValid(address)) continue;
    const normal = ipaddr.process(address).toString();
    if (policy.refusedEndpoints.has(endpoint(normal, port))) return { ok: false, reason: `${h}:${port} is one of the bot's own endpoints` };
    if (pin || publicAddress(normal)) return { ok: true, address: normal, pinned: Boolean(pin) };
  }
  return { ok: false, reason: candidates.length ? `${h} resolves only to addresses that are not public (${candidates.join(', ')})` : `${h} does not resolve` };
}

/** `address:port` as `refusedEndpoints` holds it (IPv4-mapped IPv6 as IPv4). */
export function endpoint(address: string, port: number): string {
  return `${ipaddr.isValid(address) ? ipaddr.process(address).toString() : normalHost(address)}:${port}`;
}
