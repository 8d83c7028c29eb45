/**
 * A fake GitHub on 127.0.0.1 for per-user sign-in (COPILOT_AUTH=per-user): the OAuth device flow
 * (`authorization_pending`, `slow_down`, `expired_token`, `access_denied`), the web flow, refresh
 * tokens (single use, as GitHub's are), revoking, `GET /user`, and `GET /copilot_internal/user`,
 * which the Copilot runtime asks to learn whether a token's owner has a Copilot seat and where
 * Copilot's API is. The bot is pointed at it with GITHUB_URL (its REST API under `/api/v3`, as on
 * GitHub Enterprise Server). Tokens name their owner: `gho_<login>_<n>`, refresh `ghr_<login>_<n>`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { withBody } from './http.js';

export interface FakeAccount {
  login: string;
  id: number;
  /** Has a Copilot seat (false: `/copilot_internal/user` answers as GitHub does for someone without). */
  seat: boolean;
}

type DeviceState = 'pending' | 'approved' | 'denied' | 'expired' | 'used';

interface DeviceCodeRecord {
  deviceCode: string;
  userCode: string;
  state: DeviceState;
  login?: string;
  /** Polls answered `slow_down` before the next answer. */
  slowDowns: number;
  polls: number;
}

export interface FakeGitHubCall {
  method: string;
  path: string;
  /** The bearer token, if any. */
  token?: string;
  form?: Record<string, string>;
}

export interface FakeGitHubOptions {
  clientId?: string;
  clientSecret?: string;
  /** What issued access tokens say about their lifetime (`expires_in`); 0: they do not expire (an OAuth App). */
  tokenSeconds?: number;
  /** The polling interval device codes ask for. */
  intervalSeconds?: number;
  /** How long device codes work (`expires_in`). */
  deviceSeconds?: number;
  /**
   * The scriptable model server (testkit/model-server.ts) the fake Copilot API at `/copilot` hands
   * chat requests to, once it has checked and recorded the caller's token.
   */
  modelUrl?: string;
}

/** A model call the Copilot runtime made through the fake Copilot API: as whom. */
export interface CopilotCall {
  path: string;
  token: string;
  login: string | undefined;
  /** What it answered: 200, or 401 (the token is not good) / 403 (no seat). */
  status: number;
}

export interface FakeGitHub {
  url: string;
  /** What the Copilot runtime is given as COPILOT_DEBUG_GITHUB_API_URL to ask this fake about accounts. */
  runtimeEnv: Record<string, string>;
  apiUrl: string;
  calls: FakeGitHubCall[];
  /** Adds a person GitHub knows. */
  account(login: string, options?: { seat?: boolean }): FakeAccount;
  /** The device code a user code belongs to, approved by `login` (the person entered it on GitHub). */
  approve(userCode: string, login: string): void;
  deny(userCode: string): void;
  expire(userCode: string): void;
  /** The code's next polls answer `slow_down` (`times` of them). */
  slowDown(userCode: string, times?: number): void;
  /** The person revoked the app on GitHub: their tokens and refresh tokens stop working. */
  revokeAll(login: string): void;
  /** The access token currently valid for `login` (the newest issued), if any. */
  tokenOf(login: string): string | undefined;
  /** Every access token ever issued, newest last. */
  issued: string[];
  /** The model calls the runtime made (the fake Copilot API at `<url>/copilot`). */
  copilot: CopilotCall[];
  /** GitHub takes the person's Copilot seat away (or gives it back). */
  seat(login: string, has: boolean): void;
  /** The web flow's consent: where GitHub sends the browser back for `authorizeUrl`, as `login`. */
  consent(authorizeUrl: string, login: string): string;
  close(): Promise<void>;
}

/**
 * The settings of a bot whose people sign in at `gh` (COPILOT_AUTH=per-user), the shared model
 * settings of the harnesses blanked (per-user has none), sealing under `key`.
 */
export function perUserEnv(gh: FakeGitHub, key: string): Record<string, string> {
  return {
    COPILOT_AUTH: 'per-user',
    COPILOT_PROVIDER_TYPE: '',
    COPILOT_PROVIDER_BASE_URL: '',
    COPILOT_PROVIDER_API_KEY: '',
    GITHUB_CLIENT_ID: 'Iv1.testclient',
    GITHUB_URL: gh.url,
    TOKEN_ENCRYPTION_KEY: key,
  };
}

export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const clientId = options.clientId ?? 'Iv1.testclient';
  const accounts = new Map<string, FakeAccount>();
  const codes = new Map<string, DeviceCodeRecord>();
  /** token → login, for tokens that work. */
  const access = new Map<string, string>();
  const refresh = new Map<string, string>();
  const webCodes = new Map<string, { login: string; redirectUri: string }>();
  const calls: FakeGitHubCall[] = [];
  const issued: string[] = [];
  const copilot: CopilotCall[] = [];
  let serial = 0;
  let url = '';

  const grant = (login: string) => {
    const n = ++serial;
    const token = `gho_${login}_${n}`;
    const refreshToken = `ghr_${login}_${n}`;
    access.set(token, login);
    refresh.set(refreshToken, login);
    issued.push(token);
    const seconds = options.tokenSeconds ?? 28_800;
    return {
      access_token: token,
      token_type: 'bearer',
      scope: '',
      ...(seconds > 0 ? { expires_in: seconds, refresh_token: refreshToken, refresh_token_expires_in: 15_811_200 } : {}),
    };
  };

  const server = http.createServer(
    withBody((req, res, raw) => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const path = u.pathname;
      const bearer = /^(?:Bearer|token) (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const form = (req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded')
        ? Object.fromEntries(new URLSearchParams(raw))
        : raw && (req.headers['content-type'] ?? '').includes('json')
          ? (JSON.parse(raw) as Record<string, string>)
          : undefined;
      calls.push({ method: req.method ?? 'GET', path, ...(bearer ? { token: bearer } : {}), ...(form ? { form } : {}) });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST' && path === '/login/device/code') {
        if (form?.client_id !== clientId) return json(200, { error: 'incorrect_client_credentials' });
        const n = ++serial;
        const record: DeviceCodeRecord = { deviceCode: `dc_${n}`, userCode: `CODE-${String(n).padStart(4, '0')}`, state: 'pending', slowDowns: 0, polls: 0 };
        codes.set(record.userCode, record);
        return json(200, {
          device_code: record.deviceCode,
          user_code: record.userCode,
          verification_uri: `${url}/login/device`,
          expires_in: options.deviceSeconds ?? 900,
          interval: options.intervalSeconds ?? 1,
        });
      }
      if (req.method === 'POST' && path === '/login/oauth/access_token') {
        if (form?.client_id !== clientId) return json(200, { error: 'incorrect_client_credentials' });
        if (form.grant_type === 'urn:ietf:params:oauth:grant-type:device_code') {
          const record = [...codes.values()].find((c) => c.deviceCode === form.device_code);
          if (!record) return json(200, { error: 'incorrect_device_code' });
          record.polls++;
          if (record.slowDowns > 0) {
            record.slowDowns--;
            return json(200, { error: 'slow_down', interval: options.intervalSeconds ?? 1 });
          }
          switch (record.state) {
            case 'pending':
              return json(200, { error: 'authorization_pending' });
            case 'denied':
              return json(200, { error: 'access_denied' });
            case 'expired':
            case 'used':
              return json(200, { error: 'expired_token' });
            case 'approved':
              record.state = 'used';
              return json(200, grant(record.login!));
          }
        }
        if (form.grant_type === 'refresh_token') {
          const login = refresh.get(form.refresh_token ?? '');
          if (!login) return json(200, { error: 'bad_refresh_token' });
          // Single use, and the access token it replaces stops working.
          refresh.delete(form.refresh_token!);
          for (const [t, l] of access) if (l === login) access.delete(t);
          return json(200, grant(login));
        }
        if (form.code !== undefined) {
          const web = webCodes.get(form.code);
          if (!web || form.client_secret !== options.clientSecret || form.redirect_uri !== web.redirectUri) return json(200, { error: 'bad_verification_code' });
          webCodes.delete(form.code);
          return json(200, grant(web.login));
        }
        return json(200, { error: 'unsupported_grant_type' });
      }
      if (req.method === 'GET' && path === '/api/v3/user') {
        const login = bearer ? access.get(bearer) : undefined;
        if (!login) return json(401, { message: 'Bad credentials' });
        const account = accounts.get(login)!;
        return json(200, { login: account.login, id: account.id, type: 'User' });
      }
      // The runtime asks at the root of COPILOT_DEBUG_GITHUB_API_URL's origin; GHES serves it under /api/v3.
      if (req.method === 'GET' && (path === '/api/v3/copilot_internal/user' || path === '/copilot_internal/user')) {
        const login = bearer ? access.get(bearer) : undefined;
        if (!login) return json(401, { message: 'Bad credentials' });
        const account = accounts.get(login)!;
        if (!account.seat) return json(404, { message: 'Not Found' });
        return json(200, { login: account.login, copilot_plan: 'business', access_type_sku: 'copilot_for_business_seat', chat_enabled: true, endpoints: { api: `${url}/copilot` } });
      }
      if (path.startsWith('/copilot/')) return void copilotApi(req, res, path.slice('/copilot'.length), bearer ?? '', raw);
      const revoking = /^\/api\/v3\/applications\/([^/]+)\/token$/.exec(path);
      if (req.method === 'DELETE' && revoking) {
        const basic = Buffer.from(/^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'base64').toString();
        if (decodeURIComponent(revoking[1]!) !== clientId || basic !== `${clientId}:${options.clientSecret ?? ''}`) return json(401, { message: 'Requires authentication' });
        const token = (form as { access_token?: string } | undefined)?.access_token ?? '';
        if (!access.delete(token)) return json(404, { message: 'Not Found' });
        res.writeHead(204).end();
        return;
      }
      json(404, { message: 'Not Found' });
    }),
  );
  /**
   * Copilot's API as the runtime uses it (measured with runtime 1.0.14): `GET /models`, then
   * `POST /chat/completions` with the person's GitHub token as the bearer (no exchange). A token
   * GitHub does not know is 401, an account without a seat 403, as Copilot answers them.
   */
  function copilotApi(req: http.IncomingMessage, res: http.ServerResponse, path: string, token: string, raw: string): void {
    const login = access.get(token);
    const status = !login ? 401 : accounts.get(login)?.seat ? 200 : 403;
    if (path === '/models' || path === '/chat/completions') copilot.push({ path, token, login, status });
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (status === 401) return json(401, { error: { message: 'unauthorized: token expired or revoked', code: 'unauthorized' } });
    if (status === 403) return json(403, { error: { message: 'You are not authorized to use Copilot.', code: 'forbidden' } });
    if (req.method === 'GET' && path === '/models') return json(200, { object: 'list', data: [copilotModel('test-model')] });
    if (req.method !== 'POST' || path !== '/chat/completions' || !options.modelUrl) return json(404, { error: { message: 'Not Found' } });
    const upstream = http.request(`${options.modelUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (up) => {
      res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' });
      up.pipe(res);
    });
    upstream.on('error', () => json(502, { error: { message: 'model server unreachable' } }));
    upstream.end(raw);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const code = (userCode: string) => {
    const record = codes.get(userCode);
    if (!record) throw new Error(`no device code ${userCode}`);
    return record;
  };
  return {
    url,
    apiUrl: `${url}/api/v3`,
    runtimeEnv: { COPILOT_DEBUG_GITHUB_API_URL: url },
    calls,
    issued,
    copilot,
    seat(login, has) {
      accounts.get(login)!.seat = has;
    },
    account(login, o = {}) {
      const account = { login, id: 1000 + accounts.size, seat: o.seat ?? true };
      accounts.set(login, account);
      return account;
    },
    approve(userCode, login) {
      if (!accounts.has(login)) throw new Error(`no account ${login}`);
      Object.assign(code(userCode), { state: 'approved', login });
    },
    deny: (userCode) => void (code(userCode).state = 'denied'),
    expire: (userCode) => void (code(userCode).state = 'expired'),
    slowDown: (userCode, times = 1) => void (code(userCode).slowDowns = times),
    revokeAll(login) {
      for (const [t, l] of access) if (l === login) access.delete(t);
      for (const [t, l] of refresh) if (l === login) refresh.delete(t);
    },
    tokenOf(login) {
      return [...access.entries()].filter(([, l]) => l === login).map(([t]) => t).at(-1);
    },
    consent(authorizeUrl, login) {
      const a = new URL(authorizeUrl);
      if (a.searchParams.get('client_id') !== clientId) throw new Error('wrong client id');
      const redirectUri = a.searchParams.get('redirect_uri')!;
      const webCode = `wc_${++serial}`;
      webCodes.set(webCode, { login, redirectUri });
      const back = new URL(redirectUri);
      back.searchParams.set('code', webCode);
      back.searchParams.set('state', a.searchParams.get('state') ?? '');
      return back.toString();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A model as Copilot's `/models` lists it: what the runtime needs to pick it (not `gpt-4.1`: that name sends it to auto mode). */
function copilotModel(id: string) {
  return {
    id,
    name: id,
    object: 'model',
    vendor: 'test',
    version: id,
    preview: false,
    model_picker_enabled: true,
    capabilities: {
      family: id,
      type: 'chat',
      object: 'model_capabilities',
      tokenizer: 'o200k_base',
      limits: { max_context_window_tokens: 128000, max_output_tokens: 16384, max_prompt_tokens: 128000 },
      supports: { streaming: true, tool_calls: true, parallel_tool_calls: true },
    },
    policy: { state: 'enabled', terms: '' },
    supported_endpoints: ['/chat/completions'],
    billing: { is_premium: false, multiplier: 0 },
  };
}
