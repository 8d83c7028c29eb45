import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadProfiles, ProfileError, ProfileHolder, type ProfileSources } from '../../src/profiles.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const base: Omit<ProfileSources, 'channelConfig' | 'agentsDir'> = { tools: ['grep', 'glob', 'bash'], models: ['gpt-a', 'gpt-b'], modelsListed: true };

function load(channels: string | undefined, agents?: Record<string, string>, name = 'channels.yaml') {
  const dir = folder({ ...(channels !== undefined ? { [name]: channels } : {}), ...Object.fromEntries(Object.entries(agents ?? {}).map(([k, v]) => [`agents/${k}`, v])) });
  if (agents) fs.mkdirSync(path.join(dir, 'agents'), { recursive: true });
  return loadProfiles({ ...base, channelConfig: channels !== undefined ? path.join(dir, name) : undefined, agentsDir: agents ? path.join(dir, 'agents') : undefined });
}

function problem(channels: string | undefined, agents?: Record<string, string>, name?: string): ProfileError {
  try {
    load(channels, agents, name);
  } catch (err) {
    if (err instanceof ProfileError) return err;
    throw err;
  }
  throw new Error('expected a ProfileError');
}

const REVIEWER = '---\nname: reviewer\ndescription: Reviews changes\ntools: [grep, glob, edit]\n---\nYou review code. Be brief.\n';

describe('CHANNEL_CONFIG', () => {
  it('reads channels with every field, in the file order', () => {
    const p = load(
      ['channels:', '  "*":', '    model: gpt-a', '  "slack:C0123":', '    model: gpt-b', '    instructions: |', '      Payments team.', '    tools: [grep]', '    agent: reviewer', '    allowedUsers: [slack:U1, slack:U2]', '  "discord:42000000": {}', '  "slack:*":'].join('\n'),
      { 'reviewer.md': REVIEWER },
    );
    expect(p.channels).toEqual([
      { selector: '*', profile: { model: 'gpt-a' }, line: 2 },
      { selector: 'slack:C0123', profile: { model: 'gpt-b', instructions: 'Payments team.', tools: ['grep'], agent: 'reviewer', allowedUsers: ['slack:U1', 'slack:U2'] }, line: 4 },
      { selector: 'discord:42000000', profile: {}, line: 11 },
      { selector: 'slack:*', profile: {}, line: 12 },
    ]);
  });

  it('reads JSON the same way', () => {
    const p = load(JSON.stringify({ channels: { '*': { model: 'gpt-b', tools: [] } } }), undefined, 'channels.json');
    expect(p.channels).toEqual([{ selector: '*', profile: { model: 'gpt-b', tools: [] }, line: 1 }]);
  });

  it('an empty file is no profiles', () => {
    expect(load('').channels).toEqual([]);
  });

  it('names the file, line and key of a misspelt setting, with the closest one', () => {
    const err = problem(['channels:', '  "*":', '    model: gpt-a', '  "slack:C1":', '    modle: gpt-b'].join('\n'));
    expect(err.message).toMatch(/^CHANNEL_CONFIG: .*channels\.yaml, line 5, channels\.slack:C1\.modle: is not a setting \(did you mean model\?\)$/);
  });

  it('refuses a tool the bot does not have, naming where', () => {
    const err = problem(['channels:', '  "*":', '    tools:', '      - grep', '      - edit'].join('\n'));
    expect(err.line).toBe(5);
    expect(err.key).toBe('channels.*.tools[1]');
    expect(err.problem).toMatch(/edit is not in COPILOT_TOOLS \(a channel can only narrow/);
    expect(problem('channels:\n  "*":\n    tools: [bsh]').problem).toMatch(/bsh is not a tool of the Copilot runtime \(did you mean bash\?\)/);
  });

  it('refuses an agent AGENTS_DIR does not have, and a model off COPILOT_MODELS', () => {
    expect(problem('channels:\n  "*":\n    agent: nobody', { 'reviewer.md': REVIEWER }).message).toMatch(/line 3, channels\.\*\.agent: no agent nobody in AGENTS_DIR \(there: reviewer\)/);
    expect(problem('channels:\n  "*":\n    agents: [reviewer, ghost]', { 'reviewer.md': REVIEWER }).message).toMatch(/line 3, channels\.\*\.agents\[1\]: no agent ghost in AGENTS_DIR/);
    expect(problem('channels:\n  "*":\n    agent: reviewer\n    agents: []', { 'reviewer.md': REVIEWER }).message).toMatch(/line 3, channels\.\*\.agent: reviewer is not among this place's agents \(none\)/);
    expect(problem('channels:\n  "*":\n    skills: [nope]', { 'reviewer.md': REVIEWER }).message).toMatch(/line 3, channels\.\*\.skills\[0\]: no skill nope in AGENTS_DIR\/skills/);
    expect(problem('channels:\n  "*":\n    model: gpt-z').message).toMatch(/line 3, channels\.\*\.model: gpt-z is not in COPILOT_MODELS \(gpt-a, gpt-b\)/);
  });

  it('any model when COPILOT_MODELS is not set', () => {
    const dir = folder({ 'c.yaml': 'channels:\n  "*":\n    model: anything' });
    expect(loadProfiles({ ...base, modelsListed: false, channelConfig: path.join(dir, 'c.yaml'), agentsDir: undefined }).channels[0]!.profile.model).toBe('anything');
  });

  it('names the line of a YAML syntax error, of a bad selector and of a bad person', () => {
    expect(problem('channels:\n  "*":\n    model: [unclosed\n').message).toMatch(/channels\.yaml, line [34]: Flow sequence/);
    expect(problem('channels:\n  "*":\n    instructions: Note: be brief\n').message).toMatch(/line 3: Nested mappings are not allowed in compact mappings \(put text that holds ": " in quotes\)$/);
    expect(problem('channels:\n  "*": {}\n  "*": {}').message).toMatch(/channels\.yaml, line 3: Map keys must be unique$/);
    expect(problem('channels:\n  "slack:#Not A Name": {}').message).toMatch(/line 2, channels\.slack:#Not A Name: is not a Slack channel name/);
    expect(problem('channels:\n  "slack:payments": {}').message).toMatch(/channels\.slack:payments: is not a Slack id: for a channel by its name write slack:#payments/);
    expect(problem('channels:\n  "slakc:C0123": {}').message).toMatch(/channels\.slakc:C0123: is not a place/);
    expect(problem('channels:\n  "discord:general": {}').message).toMatch(/is not a place/);
    expect(problem('channels:\n  "slack":\n    model: gpt-a').message).toMatch(/line 2, channels\.slack: is not a place: use \*, a platform/);
    expect(problem('channels:\n  "*":\n    allowedUsers: [U123]').message).toMatch(/line 3, channels\.\*\.allowedUsers\[0\]: must be platform:userId/);
    expect(problem('chanels:\n  "*": {}').message).toMatch(/line 1, chanels: is not a setting \(did you mean channels\?\)/);
  });

  it('an alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`), 'channels: {}'].join('\n');
    expect(problem(bomb).message).toMatch(/^CHANNEL_CONFIG: \S+channels\.yaml: .*[Aa]lias/);
  });

  it('a file that cannot be read says so', () => {
    expect(() => loadProfiles({ ...base, channelConfig: '/nonexistent/channels.yaml', agentsDir: undefined })).toThrow(/^CHANNEL_CONFIG: \/nonexistent\/channels\.yaml: cannot be read \(ENOENT\)$/);
  });
});

describe('AGENTS_DIR', () => {
  it('reads agents (front matter and prompt), skills, and keeps their tools within the bot\'s', () => {
    const p = load(undefined, { 'reviewer.md': REVIEWER, 'plain.md': 'Just a prompt.', 'README.md': '# not an agent', 'skills/deploy/SKILL.md': '---\ndescription: Shipping a release\n---\nRun make deploy.', 'skills/b/SKILL.md': '---\nname: backup\ndescription: Backups\n---\nRun make backup.' });
    expect(p.agents).toEqual([
      { name: 'plain', prompt: 'Just a prompt.' },
      { name: 'reviewer', description: 'Reviews changes', tools: ['grep', 'glob'], prompt: 'You review code. Be brief.' },
    ]);
    expect(p.skills).toEqual([
      { name: 'backup', description: 'Backups', instructions: 'Run make backup.' },
      { name: 'deploy', description: 'Shipping a release', instructions: 'Run make deploy.' },
    ]);
  });

  it('names the file and line of a mistake in front matter', () => {
    const err = problem(undefined, { 'bad.md': '---\nname: bad\ntols: [grep]\n---\nPrompt.' });
    expect(err.message).toMatch(/^AGENTS_DIR: .*bad\.md, line 3, tols: is not a setting of an agent/);
    expect(problem(undefined, { 'bad.md': '---\nname: bad\ntools: [grpe]\n---\nPrompt.' }).message).toMatch(/line 3, tools\[0\]: grpe is not a tool of the Copilot runtime \(did you mean grep\?\)/);
    expect(problem(undefined, { 'empty.md': '---\nname: empty\n---\n' }).problem).toMatch(/no instructions/);
    expect(problem(undefined, { 'a.md': '---\nname: same\n---\nA', 'b.md': '---\nname: same\n---\nB' }).problem).toMatch(/same is the name of another agent file too/);
    expect(problem(undefined, { 'default.md': 'Prompt.' }).problem).toMatch(/default is what `agent default` means/);
    // Any thread may switch to any agent: its model must be on offer too.
    expect(problem(undefined, { 'big.md': '---\nmodel: gpt-huge\n---\nPrompt.' }).message).toMatch(/big\.md, line 2, model: gpt-huge is not in COPILOT_MODELS \(gpt-a, gpt-b\)/);
  });

  it('a skill needs its SKILL.md, a description and instructions, and all of them fit in a budget', () => {
    expect(problem(undefined, { 'skills/deploy/notes.md': 'x' }).message).toMatch(/skills\/deploy\/SKILL\.md: cannot be read \(ENOENT\)/);
    expect(problem(undefined, { 'skills/deploy/SKILL.md': 'Just text.' }).problem).toMatch(/needs front matter with a description/);
    expect(problem(undefined, { 'skills/deploy/SKILL.md': '---\nname: deploy\n---\nRun it.' }).message).toMatch(/SKILL\.md, line 2, description: /);
    expect(problem(undefined, { 'skills/deploy/SKILL.md': '---\ndescription: d\nwhen: always\n---\nRun it.' }).message).toMatch(/SKILL\.md, line 3, when: is not a setting of a skill/);
    expect(problem(undefined, { 'skills/big/SKILL.md': `---\ndescription: d\n---\n${'x'.repeat(40_000)}` }).problem).toMatch(/the skills hold 40001 characters; every session is given them all, so at most 32000/);
  });

  it('a missing folder says so', () => {
    expect(() => loadProfiles({ ...base, channelConfig: undefined, agentsDir: '/nonexistent/agents' })).toThrow(/AGENTS_DIR: \/nonexistent\/agents: cannot be read \(ENOENT\)/);
  });
});

describe('ProfileHolder', () => {
  it('a reload with a mistake keeps what was loaded', async () => {
    const dir = folder({ 'c.yaml': 'channels:\n  "*":\n    model: gpt-a' });
    const holder = new ProfileHolder({ ...base, channelConfig: path.join(dir, 'c.yaml'), agentsDir: undefined });
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'channels:\n  "*":\n    model: gpt-b');
    await holder.reload();
    expect(holder.current.channels[0]!.profile.model).toBe('gpt-b');
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'channels:\n  "*":\n    modle: gpt-a');
    await expect(holder.reload()).rejects.toThrow(ProfileError);
    expect(holder.current.channels[0]!.profile.model).toBe('gpt-b');
  });

  it('slack:#name places are looked up, at once and at each reload; a name no channel has is a mistake with its line', async () => {
    const dir = folder({ 'c.yaml': 'channels:\n  "slack:#payments":\n    model: gpt-b\n' });
    const holder = new ProfileHolder({ ...base, channelConfig: path.join(dir, 'c.yaml'), agentsDir: undefined });
    // Not looked up yet: the place matches nothing.
    expect(holder.current.names).toBeUndefined();
    const asked: string[][] = [];
    const channels = new Map([['payments', ['C1']], ['ops', ['C2']]]);
    await holder.useNames(async (names) => {
      asked.push([...names]);
      return new Map([...channels].filter(([n]) => names.includes(n)));
    });
    expect(asked).toEqual([['payments']]);
    expect(holder.current.names).toEqual(new Map([['slack:#payments', ['C1']]]));
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'channels:\n  "slack:#ops": {}\n  "slack:#gone":\n    model: gpt-a\n');
    const err = await holder.reload().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProfileError);
    expect((err as Error).message).toMatch(/c\.yaml, line 3, channels\.slack:#gone: no Slack channel of that name that the bot can see/);
    expect(holder.current.names).toEqual(new Map([['slack:#payments', ['C1']]]));
    fs.writeFileSync(path.join(dir, 'c.yaml'), 'channels:\n  "slack:#ops": {}\n');
    await holder.reload();
    expect(holder.current.names).toEqual(new Map([['slack:#ops', ['C2']]]));
  });
});

describe('the examples in docs/', () => {
  it('docs/examples/channels.yaml and docs/examples/agents load as the docs say', () => {
    const p = loadProfiles({
      channelConfig: path.resolve('docs/examples/channels.yaml'),
      agentsDir: path.resolve('docs/examples/agents'),
      tools: ['grep', 'glob', 'view'],
      models: ['gpt-5', 'claude-sonnet-4.5', 'gpt-5-mini'],
      modelsListed: true,
    });
    expect(p.channels.map((c) => c.selector)).toEqual(['*', 'slack:C0123456789', 'slack:#releases', 'slack:T0123456789', 'discord:100000000000000001', 'discord:200000000000000001']);
    expect(p.agents.map((a) => a.name)).toEqual(['release-helper', 'reviewer']);
    expect(p.skills.map((s) => s.name)).toEqual(['release']);
  });
});
