/** What a session is opened with: SESSION_MAX_AI_CREDITS becomes the SDK's sessionLimits, only when set. */
import { describe, expect, it } from 'vitest';
import type { SessionId } from '../../../../src/domain.js';
import { sessionConfig, type SessionSetup } from '../../../../src/agent/copilot/session-config.js';
import { RuntimeDiskSessions } from '../../../../src/agent/session-state/session-store.js';
import { silentLogger } from '../../../../src/infra/log.js';

const setup = (maxAiCredits: number): SessionSetup => ({
  auth: { kind: 'github', token: 'ghu_x' },
  model: 'gpt-5',
  systemPrompt: undefined,
  maxAiCredits,
  allowedTools: new Set(),
  approvalTools: new Set(),
  sessions: new RuntimeDiskSessions(),
  threadFolder: () => '/work',
  owner: undefined,
  gateway: undefined,
  turn: () => undefined,
  logger: silentLogger,
});

describe('session config', () => {
  it('carries SESSION_MAX_AI_CREDITS as sessionLimits when set, and nothing when 0', () => {
    const id = 'local-ana-x' as SessionId;
    expect(sessionConfig(id, setup(50)).sessionLimits).toEqual({ maxAiCredits: 50 });
    expect(sessionConfig(id, setup(0))).not.toHaveProperty('sessionLimits');
    expect(sessionConfig(id, setup(50))).toMatchObject({ model: 'gpt-5', gitHubToken: 'ghu_x', streaming: true, workingDirectory: '/work' });
  });
});
