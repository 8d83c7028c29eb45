/**
 * Host names as an operator writes them (TOOLS_ALLOWED_HOSTS, TOOLS_PINNED_HOSTS): pure functions
 * on text, read by the configuration and by the sandbox's egress policy alike.
 */

/** `example.com` (that host only) or `*.example.com` (its subdomains, not itself). */
export type HostPattern = string;

/** Where the operator placed an allowed host: its address and, when given, the one port it serves. */
export interface Pin {
  address: string;
  port?: number;
}

/** Lower case, no trailing dot, brackets off an IPv6 literal. */
export function normalHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** Whether `host` matches one of `patterns` (exact names, or `*.suffix` for strict subdomains). */
export function hostAllowed(host: string, patterns: readonly HostPattern[]): boolean {
  const h = normalHost(host);
  if (!h) return false;
  return patterns.some((raw) => {
    const p = normalHost(raw);
    if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && h.length > p.length - 1;
    return h === p;
  });
}

/** A valid TOOLS_ALLOWED_HOSTS entry: a host name, or `*.` and a host name. */
export function validHostPattern(p: string): boolean {
  const name = p.startsWith('*.') ? p.slice(2) : p;
  return /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(name);
}
