import { describe, expect, it } from 'vitest';
import { type ApprovalRequest } from '../../../src/core/approvals/desk.js';
import { approvalCard, displayDetail, DETAIL_MAX_CHARS } from '../../../src/core/approvals/card.js';
import { maskSecrets } from '../../../src/core/redact.js';
import { consoleChoice } from '../../../adapters/console/console.js';

describe('maskSecrets', () => {
  it('hides tokens, keys, passwords and credentials in URLs, and keeps the rest readable', () => {
    const cases: Array<[string, string]> = [
      ['curl -H "Authorization: Bearer abcdefghijklmnop" https://api', 'curl -H "Authorization: Bearer [hidden]" https://api'],
      ['export SLACK_BOT_TOKEN=xoxb-123-456-abcdef', 'export SLACK_BOT_TOKEN=[token hidden]'],
      ['echo xoxb-123-456-abcdef', 'echo [token hidden]'],
      ['git clone https://user:hunter2@github.com/x/y', 'git clone https://[credentials hidden]@github.com/x/y'],
      ['gh auth login --with-token ghp_abcdefghijklmnopqrstuvwxyz012345', 'gh auth login --with-token [token hidden]'],
      ['mysql --password s3cret -u root', 'mysql --password [hidden] -u root'],
      ['OPENAI_API_KEY="sk-abcdefghijklmnopqrstu" node x', 'OPENAI_API_KEY=[hidden] node x'],
      ['{"api_key": "abc", "name": "n"}', '{"api_key": [hidden], "name": "n"}'],
      ['https://host/page?token=abc123&x=1', 'https://host/page?token=[hidden]&x=1'],
      ['aws s3 ls # AKIAABCDEFGHIJKLMNOP', 'aws s3 ls # [key hidden]'],
      ['ls -la /srv && cat README.md', 'ls -la /srv && cat README.md'],
    ];
    for (const [input, shown] of cases) expect(maskSecrets(input)).toBe(shown);
    expect(maskSecrets('-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----')).toBe('[private key hidden]');
  });

  it('shortens long details and says by how much', () => {
    const shown = displayDetail('x'.repeat(DETAIL_MAX_CHARS + 50));
    expect(shown).toBe(`${'x'.repeat(DETAIL_MAX_CHARS)}… (50 more characters)`);
  });
});

describe('approvalCard', () => {
  const base: ApprovalRequest = {
    id: 'id', sessionId: 'local-a-b' as ApprovalRequest['sessionId'], platform: 'local', workspace: 'w', channel: 'c', thread: 't', tool: 'bash', detail: 'ls', digest: 'd',
    requestedBy: 'U1', instance: 'i', createdAt: '2026-12-01T10:00:00.000Z', expiresAt: '2026-12-01T10:10:00.000Z',
  };
  it('says who may decide and until when while open, and the decision after', () => {
    const at = (u: string) => `@${u}`;
    expect(approvalCard(base, at)).toMatchObject({ open: true, status: 'Only @U1 (who started this thread) or a bot admin can decide. No decision by 10:10 UTC means no.' });
    expect(approvalCard({ ...base, decider: 'U9' }, at).status).toMatch(/^Only @U9 \(who started this thread\)/);
    expect(approvalCard({ ...base, approvers: 'admins' }, at).status).toMatch(/^Only a bot admin can decide\./);
    const cases: Array<[ApprovalRequest['decision'], RegExp]> = [
      [{ outcome: 'approved', by: 'U2', at: '2026-12-01T10:03:00Z' }, /^✅ Approved once by @U2 at 10:03 UTC$/],
      [{ outcome: 'always', by: 'U1', at: '2026-12-01T10:03:00Z' }, /^✅ Approved by @U1 at 10:03 UTC, and `bash` is allowed for their messages in the rest of this thread$/],
      [{ outcome: 'denied', by: 'U1', at: '2026-12-01T10:04:00Z' }, /^🚫 Denied by @U1 at 10:04 UTC$/],
      [{ outcome: 'timeout', at: '2026-12-01T10:10:00Z' }, /^⌛ Nobody decided in time, so it was denied/],
      [{ outcome: 'expired', at: '2026-12-01T10:05:00Z', reason: 'the bot restarted before it was decided' }, /^⌛ Expired: the bot restarted before it was decided; nothing ran/],
    ];
    for (const [decision, status] of cases) {
      const card = approvalCard({ ...base, decision }, at);
      expect(card.open).toBe(false);
      expect(card.status).toMatch(status);
    }
  });
});

describe('consoleChoice', () => {
  it('is no unless the answer is yes or always', () => {
    expect(['y', 'Y', 'yes', ' yes '].map(consoleChoice)).toEqual(['once', 'once', 'once', 'once']);
    expect(['a', 'always'].map(consoleChoice)).toEqual(['always', 'always']);
    expect(['', 'n', 'no', 'sure', undefined].map(consoleChoice)).toEqual(['deny', 'deny', 'deny', 'deny', 'deny']);
  });
});
