/**
 * The sandbox's address policy, on addresses and names only: nothing here sends a packet.
 */
import { describe, expect, it } from 'vitest';
import { chooseAddress, hostAllowed, publicAddress, validHostPattern, type EgressPolicy } from '../../../../src/agent/sandbox/egress-policy.js';

describe('which addresses a name may lead to', () => {
  it('refuses loopback, private, link-local (cloud metadata), shared, multicast, reserved and documentation ranges', () => {
    for (const address of [
      '127.0.0.1', '127.255.0.9', '0.0.0.0', '10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.1', '169.254.169.254', '100.100.100.200',
      '100.64.0.1', '192.0.2.1', '198.18.0.1', '224.0.0.1', '255.255.255.255', '240.0.0.1',
      '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '2001:db8::1',
      // IPv4 inside IPv6: judged by the IPv4 address.
      '::ffff:127.0.0.1', '::ffff:10.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::1', '2002:a9fe:a9fe::1', '::7f00:1', '::a9fe:a9fe',
      'not-an-address', '',
    ]) {
      expect(publicAddress(address), address).toBe(false);
    }
  });

  it('allows ordinary public addresses, also when IPv4 is carried in IPv6', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '2606:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) {
      expect(publicAddress(address), address).toBe(true);
    }
  });
});

describe('which hosts may be named', () => {
  it('matches names exactly, and *.suffix for strict subdomains only', () => {
    expect(hostAllowed('pypi.org', ['pypi.org'])).toBe(true);
    expect(hostAllowed('PyPI.org.', ['pypi.org'])).toBe(true);
    expect(hostAllowed('files.pythonhosted.org', ['*.pythonhosted.org'])).toBe(true);
    expect(hostAllowed('a.b.pythonhosted.org', ['*.pythonhosted.org'])).toBe(true);
    expect(hostAllowed('pythonhosted.org', ['*.pythonhosted.org'])).toBe(false);
    expect(hostAllowed('evilpythonhosted.org', ['*.pythonhosted.org'])).toBe(false);
    expect(hostAllowed('pypi.org.evil.test', ['pypi.org'])).toBe(false);
    expect(hostAllowed('anything', [])).toBe(false);
  });

  it('accepts host names and *.domain as TOOLS_ALLOWED_HOSTS entries, nothing else', () => {
    for (const ok of ['pypi.org', '*.npmjs.org', 'registry-1.docker.io', 'localhost']) expect(validHostPattern(ok), ok).toBe(true);
    for (const bad of ['*', '*.', 'http://pypi.org', 'pypi.org/simple', 'a b', 'pypi.org:443', '-bad.org', '**.x.org', '']) expect(validHostPattern(bad), bad).toBe(false);
  });
});

describe('choosing where to connect', () => {
  const policy = (over: Partial<EgressPolicy> = {}): EgressPolicy => ({ allowed: ['pypi.org', 'mirror.internal'], pinned: new Map(), refusedEndpoints: new Set(), ...over });

  it('takes the first public address a name resolves to, and connects to exactly that address', () => {
    expect(chooseAddress('pypi.org', 443, policy(), ['10.0.0.1', '151.101.0.223', '151.101.64.223'])).toEqual({ ok: true, address: '151.101.0.223', pinned: false });
  });

  it('refuses a name that resolves only to private or loopback addresses (DNS rebinding included)', () => {
    expect(chooseAddress('pypi.org', 443, policy(), ['127.0.0.1', '169.254.169.254'])).toMatchObject({ ok: false, reason: expect.stringContaining('not public') });
    expect(chooseAddress('pypi.org', 443, policy(), [])).toMatchObject({ ok: false, reason: expect.stringContaining('does not resolve') });
  });

  it('refuses hosts that are not allowed before anything else', () => {
    expect(chooseAddress('evil.test', 443, policy(), ['8.8.8.8'])).toMatchObject({ ok: false, reason: 'evil.test is not an allowed host' });
  });

  it("uses an operator's pin (which may be private) but never one of the bot's own endpoints", () => {
    const pinned = policy({ pinned: new Map([['mirror.internal', { address: '10.0.0.5' }]]), refusedEndpoints: new Set(['10.0.0.5:443']) });
    expect(chooseAddress('mirror.internal', 80, pinned, ['8.8.8.8'])).toEqual({ ok: true, address: '10.0.0.5', pinned: true });
    expect(chooseAddress('mirror.internal', 443, pinned, [])).toMatchObject({ ok: false, reason: expect.stringContaining("bot's own endpoints") });
  });

  it('opens only the web ports, or the one port a pin names: a pin to a private address is not every service there', () => {
    expect(chooseAddress('pypi.org', 22, policy(), ['151.101.0.223'])).toMatchObject({ ok: false, reason: expect.stringContaining('not an allowed port') });
    expect(chooseAddress('pypi.org', 443, policy(), ['151.101.0.223'])).toMatchObject({ ok: true });
    const pinned = policy({ pinned: new Map([['mirror.internal', { address: '10.0.0.5', port: 8443 }]]) });
    expect(chooseAddress('mirror.internal', 8443, pinned, [])).toMatchObject({ ok: true, address: '10.0.0.5' });
    for (const port of [22, 443, 2375, 10250]) expect(chooseAddress('mirror.internal', port, pinned, []), String(port)).toMatchObject({ ok: false });
  });
});
