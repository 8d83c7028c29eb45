/**
 * Per-user (COPILOT_AUTH=per-user): which person's token each live session holds, and putting the
 * turn's author's in before their turn. Measured on runtime 1.0.14 (README, "Each person is
 * themselves"): a session's token is the one given at create or resume, and
 * `session.rpc.gitHubAuth.setCredentials` swaps it for the next model call; the experimental
 * `gitHubTokenProvider` is asked for one account per session and never per turn, so it cannot run
 * a shared thread as whoever wrote each turn. `setCredentials` installs a token even when GitHub
 * refuses it (`copilotUserResolved: false`): that is a refusal here, and no turn runs.
 */
import type { CopilotSession } from '@github/copilot-sdk';
import { AccountRefusedError, type TurnCredentials } from '../agent.js';

export class SessionAccounts {
  /** The token each live session holds (a session opened to read history holds none). */
  private readonly holds = new WeakMap<CopilotSession, string>();

  /** The session was opened with `as`'s token. */
  opened(session: CopilotSession, as: TurnCredentials | undefined): void {
    if (as) this.holds.set(session, as.token);
  }

  /** Makes the session run as `as` from its next model call; `AccountRefusedError` when GitHub does not take the token. */
  async use(session: CopilotSession, as: TurnCredentials): Promise<void> {
    if (this.holds.get(session) === as.token) return;
    // Until it is known to hold the new one, the session holds nobody's.
    this.holds.delete(session);
    const result = await session.rpc.gitHubAuth.setCredentials({ credentials: { type: 'token', host: `https://${as.host}`, token: as.token } });
    if (!result.success || result.copilotUserResolved === false) throw new AccountRefusedError('unresolved', as.login, 'Copilot could not resolve the account for this token');
    this.holds.set(session, as.token);
  }
}

/**
 * A create or resume the runtime refused for the account's sake ("SDK session authentication
 * failed: Failed to fetch Copilot user info: 401 Unauthorized: …"): 401 is a token GitHub no longer
 * takes, 403/404 an account without Copilot. Anything else is not about the account.
 */
export function accountRefusal(err: unknown, as: TurnCredentials | undefined): AccountRefusedError | undefined {
  if (!as || !(err instanceof Error)) return undefined;
  const status = /Failed to fetch Copilot user info: (\d{3})/.exec(err.message)?.[1];
  if (status === '401') return new AccountRefusedError('signed-out', as.login, err.message);
  if (status === '403' || status === '404') return new AccountRefusedError('no-seat', as.login, err.message);
  return undefined;
}

/** A model call refused mid-turn (`session.error`): 401 the token, 403 the account's Copilot access. */
export function turnRefusal(data: { statusCode?: number; message: string }, as: TurnCredentials | undefined): AccountRefusedError | undefined {
  if (!as) return undefined;
  if (data.statusCode === 401) return new AccountRefusedError('signed-out', as.login, data.message);
  if (data.statusCode === 403) return new AccountRefusedError('no-seat', as.login, data.message);
  return undefined;
}
