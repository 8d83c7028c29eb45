/** What git's ending means for a thread's repository, in words for the thread (the token never in them). */
import { describe, expect, it } from 'vitest';
import { RepoError, type RepoWork } from '../../../src/agent/agent.js';
import { gitArgs, gitOutcome } from '../../../src/agent/repos.js';

const work: RepoWork = { op: 'clone', url: 'https://github.com/acme/w.git', host: 'github.com', folder: 'w', authorization: 'Basic c2VjcmV0' };
const outcome = (run: { code: number | null; stdout?: string; stderr?: string }) => {
  try {
    return gitOutcome({ stdout: '', stderr: '', ...run }, work, { seconds: 300 }, work.authorization);
  } catch (err) {
    return err as RepoError;
  }
};

describe('git outcomes', () => {
  it('the commit it ended on; each failure in words', () => {
    expect(outcome({ code: 0, stdout: `${'a'.repeat(40)}\n` })).toEqual({ commit: 'a'.repeat(40) });
    expect(outcome({ code: 65, stderr: 'copilot-threads: 3 files changed here' })).toMatchObject({ why: 'local-changes', message: expect.stringMatching(/local changes \(3 files changed here\)\. `repo pull --discard`/) });
    expect(outcome({ code: 153, stderr: "copilot-threads: stopped: this thread's folder reached its limit: this thread's folder holds 1024 MB in 5 files, and may hold 1024 MB" })).toMatchObject({ why: 'too-big' });
    expect(outcome({ code: 124 })).toMatchObject({ why: 'timeout', message: expect.stringMatching(/longer than 300 s \(TOOLS_MAX_SECONDS\)/) });
    const failed = outcome({ code: 128, stderr: "fatal: unable to access 'https://github.com/acme/w.git/': header Authorization: Basic c2VjcmV0 refused" }) as RepoError;
    expect(failed.why).toBe('git');
    expect(failed.message).toMatch(/^git could not clone https:\/\/github\.com\/acme\/w\.git: unable to access/);
    expect(failed.message).not.toContain('c2VjcmV0');
  });

  it('passes the work as the script\'s arguments', () => {
    expect(gitArgs({ ...work, op: 'pull', ref: 'main', discard: true })).toEqual(['pull', 'https://github.com/acme/w.git', 'w', 'main', '1']);
    expect(gitArgs(work)).toEqual(['clone', 'https://github.com/acme/w.git', 'w', '', '0']);
  });
});
