/**
 * What a session is given to reach its model. The bot runs the runtime in the SDK's multi-user
 * `empty` mode, where the identity that counts for a session (model routing, quota, content
 * exclusion) is the session's own `gitHubToken`, not the runtime process's: with only a
 * process-level token, sessions failed with "No GitHub OAuth token … provided". So a Copilot token
 * goes with every session (sandboxed or not) and never into the runtime's environment, where a
 * tool could read it. A BYOK provider is reached directly, or through the sandbox's gateway,
 * which adds the real key on the way (the runtime only ever holds the gateway's own token).
 */
import type { SessionConfig } from '@github/copilot-sdk';
import type { ModelAuth } from '../../domain.js';

export function sessionCredentials(auth: ModelAuth | undefined, gateway: { url: string; token: string } | undefined): Pick<SessionConfig, 'provider' | 'gitHubToken'> {
  if (auth?.kind === 'github') return { gitHubToken: auth.token };
  if (auth?.kind === 'provider') {
    return { provider: { type: auth.type, baseUrl: gateway ? `${gateway.url}/model` : auth.baseUrl, apiKey: gateway ? gateway.token : auth.apiKey } };
  }
  return {};
}
