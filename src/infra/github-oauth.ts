/**
 * GitHub's side of linking a person's account (COPILOT_AUTH=per-user): the OAuth device flow and
 * web flow, refreshing expiring user tokens, revoking them, and asking who a token belongs to.
 * Works the same for github.com, GitHub Enterprise Server (`https://ghe.example.com`, API under
 * `/api/v3`) and GHE.com (`https://acme.ghe.com`, API at `api.acme.ghe.com`): only GITHUB_URL
 * differs. GitHub answers OAuth errors with status 200 and an `error` field, so each call reads
 * the body, not the status, to tell what happened.
 */

/** What GitHub hands out for a person: an access token, and for GitHub Apps with expiring tokens, a refresh token. */
export interface Grant {
  accessToken: string;
  /** When the access token stops working (ms since the epoch); undefined: it does not expire (OAuth Apps). */
  expiresAt?: number;
  refreshToken?: string;
  refreshExpiresAt?: number;
}

export interface DeviceCode {
  deviceCode: string;
  /** What the person types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  expiresAt: number;
  /** Seconds to wait between polls (GitHub raises it with `slow_down`). */
  intervalSeconds: number;
}

/** One poll of a device code. */
export type DevicePoll =
  | { kind: 'pending' }
  /** Poll less often: GitHub says by how much. */
  | { kind: 'slow-down'; intervalSeconds: number }
  | { kind: 'expired' }
  | { kind: 'denied' }
  | { kind: 'granted'; grant: Grant };

export interface GitHubUser {
  login: string;
  id: number;
}

/** GitHub refused a token or a grant (revoked, expired, wrong client): the person has to connect again. */
export class GrantRefusedError extends Error {
  override name = 'GrantRefusedError';
  constructor(readonly code: string) {
    super(`GitHub refused the grant (${code})`);
  }
}

/** GitHub could not be asked (down, a timeout, an answer that is not GitHub's). Worth trying again later. */
export class GitHubUnavailableError extends Error {
  override name = 'GitHubUnavailableError';
}

export interface GitHubOAuthOptions {
  /** GITHUB_URL: `https://github.com`, a GHES or GHE.com address (http only on loopback, for tests). */
  url: string;
  clientId: string;
  /** Needed for the web flow and to revoke at GitHub; the device flow and its refreshes work without it. */
  clientSecret?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The REST API's base for a GitHub address. */
export function apiUrlOf(githubUrl: string): string {
  const url = new URL(githubUrl);
  if (url.hostname === 'github.com') return 'https://api.github.com';
  if (url.hostname.endsWith('.ghe.com')) return `${url.protocol}//api.${url.host}`;
  return `${url.origin}/api/v3`;
}

export class GitHubOAuth {
  readonly url: string;
  readonly apiUrl: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: GitHubOAuthOptions) {
    this.url = new URL(options.url).origin;
    this.apiUrl = apiUrlOf(options.url);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetch = options.fetch ?? fetch;
  }

  /** The host tokens are for, as the Copilot runtime names it (`github.com`, `ghe.example.com`). */
  get host(): string {
    return new URL(this.url).host;
  }

  get webFlow(): boolean {
    return this.options.clientSecret !== undefined;
  }

  async startDevice(now = Date.now()): Promise<DeviceCode> {
    const body = await this.oauth('/login/device/code', { client_id: this.options.clientId });
    if (typeof body.error === 'string') throw new GrantRefusedError(body.error);
    const { device_code, user_code, verification_uri, expires_in, interval } = body;
    if (typeof device_code !== 'string' || typeof user_code !== 'string' || typeof verification_uri !== 'string') throw new GitHubUnavailableError('GitHub gave no device code');
    return {
      deviceCode: device_code,
      userCode: user_code,
      verificationUri: verification_uri,
      expiresAt: now + (typeof expires_in === 'number' ? expires_in : 900) * 1000,
      intervalSeconds: typeof interval === 'number' ? interval : 5,
    };
  }

  async pollDevice(code: DeviceCode, now = Date.now()): Promise<DevicePoll> {
    const body = await this.oauth('/login/oauth/access_token', {
      client_id: this.options.clientId,
      device_code: code.deviceCode,
      grant_type: 'urn:ietf:params:oauth:grant-type:device_code',
    });
    switch (body.error) {
      case undefined:
        return { kind: 'granted', grant: grantOf(body, now) };
      case 'authorization_pending':
        return { kind: 'pending' };
      case 'slow_down':
        // GitHub's rule: add 5 s to the interval (it says the new one).
        return { kind: 'slow-down', intervalSeconds: typeof body.interval === 'number' ? body.interval : code.intervalSeconds + 5 };
      case 'expired_token':
        return { kind: 'expired' };
      case 'access_denied':
        return { kind: 'denied' };
      default:
        throw new GrantRefusedError(errorCode(body.error));
    }
  }

  /** Where the web flow sends a person: GitHub's consent page, back to `redirectUri` with `state`. */
  authorizeUrl(state: string, redirectUri: string): string {
    const url = new URL('/login/oauth/authorize', this.url);
    url.searchParams.set('client_id', this.options.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    url.searchParams.set('state', state);
    return url.toString();
  }

  async exchangeCode(code: string, redirectUri: string, now = Date.now()): Promise<Grant> {
    const body = await this.oauth('/login/oauth/access_token', { client_id: this.options.clientId, client_secret: this.options.clientSecret ?? '', code, redirect_uri: redirectUri });
    if (body.error !== undefined) throw new GrantRefusedError(errorCode(body.error));
    return grantOf(body, now);
  }

  /** A new access token for a refresh token (refresh tokens are single use: the answer has the next one). */
  async refresh(refreshToken: string, now = Date.now()): Promise<Grant> {
    const body = await this.oauth('/login/oauth/access_token', {
      client_id: this.options.clientId,
      ...(this.options.clientSecret ? { client_secret: this.options.clientSecret } : {}),
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
    });
    if (body.error !== undefined) throw new GrantRefusedError(errorCode(body.error));
    return grantOf(body, now);
  }

  /** Whose token this is; `GrantRefusedError` when GitHub no longer accepts it. */
  async user(accessToken: string): Promise<GitHubUser> {
    const res = await this.call(`${this.apiUrl}/user`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json' } });
    if (res.status === 401) throw new GrantRefusedError('bad_credentials');
    const body = await this.json(res);
    if (!res.ok || typeof body.login !== 'string') throw new GitHubUnavailableError(`GitHub answered ${res.status} for /user`);
    return { login: body.login, id: Number(body.id) };
  }

  /** Revokes the token at GitHub (needs the client secret); false when it cannot be asked to. */
  async revoke(accessToken: string): Promise<boolean> {
    if (!this.options.clientSecret) return false;
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64');
    const res = await this.call(`${this.apiUrl}/applications/${encodeURIComponent(this.options.clientId)}/token`, {
      method: 'DELETE',
      headers: { authorization: `Basic ${basic}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: accessToken }),
    });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 204 || res.status === 404;
  }

  private async oauth(path: string, form: Record<string, string>): Promise<Record<string, unknown>> {
    const res = await this.call(new URL(path, this.url).toString(), {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = await this.json(res);
    if (!res.ok && body.error === undefined) throw new GitHubUnavailableError(`GitHub answered ${res.status} for ${path}`);
    return body;
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new GitHubUnavailableError(`GitHub could not be reached: ${(err as Error).message}`);
    }
  }

  private async json(res: Response): Promise<Record<string, unknown>> {
    try {
      const body: unknown = await res.json();
      return body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
}

function errorCode(error: unknown): string {
  return typeof error === 'string' ? error.slice(0, 80) : 'unknown_error';
}

function grantOf(body: Record<string, unknown>, now: number): Grant {
  if (typeof body.access_token !== 'string' || body.access_token === '') throw new GitHubUnavailableError('GitHub gave no access token');
  const seconds = (v: unknown) => (typeof v === 'number' && v > 0 ? now + v * 1000 : undefined);
  const expiresAt = seconds(body.expires_in);
  const refreshExpiresAt = seconds(body.refresh_token_expires_in);
  return {
    accessToken: body.access_token,
    ...(expiresAt ? { expiresAt } : {}),
    ...(typeof body.refresh_token === 'string' && body.refresh_token ? { refreshToken: body.refresh_token } : {}),
    ...(refreshExpiresAt ? { refreshExpiresAt } : {}),
  };
}
