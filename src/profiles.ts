/**
 * CHANNEL_CONFIG (a YAML or JSON file) and AGENTS_DIR (custom agents as Markdown with front
 * matter, skills under `skills/`), read and checked whole: at start, on SIGHUP and by
 * `copilot-threads config reload`. A mistake is reported with its file, line and key, and a reload
 * that finds one keeps what was loaded before.
 *
 * channels.yaml:
 *
 *     channels:
 *       "*":                      # everywhere
 *         model: gpt-5-mini
 *       "slack:C0123456789":       # one Slack channel (its id)
 *         model: claude-sonnet-4.5
 *         instructions: Answer for the payments team; our services are in Go.
 *         tools: [grep, glob]
 *         agent: reviewer
 *         allowedUsers: [slack:U0123, slack:U0456]
 *       "discord:123456789012345678": {}   # a Discord guild or channel
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { BUILT_IN_TOOLS, type AgentDefinition, type ChannelProfile, type ChannelProfiles, type SkillDefinition } from './domain.js';
import { closest } from './infra/closest.js';
import { ConfigFileError, keyPath, lineOf, parseConfigYaml, plainData, readConfigText, type ConfigFile } from './infra/config-file.js';

/** A mistake in one of the files: where it is, and what is wrong. */
export class ProfileError extends ConfigFileError {
  override name = 'ProfileError';
  constructor(
    /** The setting that names the file (CHANNEL_CONFIG or AGENTS_DIR). */
    override readonly setting: 'CHANNEL_CONFIG' | 'AGENTS_DIR',
    file: string,
    line: number | undefined,
    key: string | undefined,
    problem: string,
  ) {
    super(setting, file, line, key, problem);
  }
}

/** The file as the shared readers see it (infra/config-file.ts), its mistakes ProfileErrors. */
function profileFile(setting: ProfileError['setting'], file: string): ConfigFile {
  return { setting, file, error: (line, key, problem) => new ProfileError(setting, file, line, key, problem) };
}

export interface ProfileSources {
  /** CHANNEL_CONFIG: the file's path (absolute), or undefined. */
  channelConfig: string | undefined;
  /** AGENTS_DIR: the folder's path (absolute), or undefined. */
  agentsDir: string | undefined;
  /** COPILOT_TOOLS: a profile or an agent may name only these. */
  tools: readonly string[];
  /** COPILOT_MODEL and COPILOT_MODELS: when COPILOT_MODELS is set, a profile may name only these. */
  models: readonly string[];
  /** COPILOT_MODELS is set (the models are a closed list). */
  modelsListed: boolean;
}

const PERSON = /^[a-z]+:[^,\s]+$/;
/**
 * `*`, a platform (`slack:*`), Slack ids (`slack:C…`, `G…`, `D…`, a workspace `T…`, an org `E…`) or
 * names (`slack:#name`), Discord ids (digits), a console thread (`local:<name>`). A place that
 * can never match (`slack:payments`, `slakc:C0123`) is a mistake, not a silent no-op.
 */
const SELECTOR = /^(\*|(slack|discord|local):\*|slack:[CGDTE][A-Z0-9]+|slack:#[a-z0-9][a-z0-9._-]{0,79}|discord:\d{5,25}|local:[^\s*#]+)$/;
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Skills go into every session's instructions: all of them together at most this many characters. */
export const MAX_SKILLS_CHARS = 32_000;

const toolList = z.array(z.string().min(1, { error: 'must be a tool name' }), { error: 'must be a list of tool names' });

const profileSchema = z.strictObject(
  {
    model: z.string({ error: 'must be a model name' }).min(1, { error: 'must be a model name' }).optional(),
    instructions: z.string({ error: 'must be text' }).optional(),
    tools: toolList.optional(),
    agent: z.string({ error: 'must be an agent name (a file of AGENTS_DIR)' }).optional(),
    agents: z.array(z.string({ error: 'must be an agent name' }), { error: 'must be a list of agent names (files of AGENTS_DIR)' }).optional(),
    skills: z.array(z.string({ error: 'must be a skill name' }), { error: 'must be a list of skill names (folders of AGENTS_DIR/skills)' }).optional(),
    allowedUsers: z.array(z.string().regex(PERSON, { error: 'must be platform:userId (e.g. slack:U0123ABC)' }), { error: 'must be a list of platform:userId' }).optional(),
  },
  { error: 'must be a map of model, instructions, tools, agent, agents, skills, allowedUsers' },
);

const fileSchema = z.strictObject(
  { channels: z.record(z.string(), z.preprocess((v) => v ?? {}, profileSchema)).default({}) },
  { error: 'must be a map with one key, channels' },
);

const skillFrontMatterSchema = z.strictObject(
  {
    name: z.string().regex(AGENT_NAME, { error: 'must be letters, digits, . _ - (at most 64)' }).optional(),
    description: z.string({ error: 'must be text: what the skill is for' }).min(1, { error: 'must say what the skill is for' }),
  },
  { error: 'must be a map of name and description' },
);

const frontMatterSchema = z.strictObject(
  {
    name: z.string().regex(AGENT_NAME, { error: 'must be letters, digits, . _ - (at most 64)' }).optional(),
    description: z.string({ error: 'must be text' }).optional(),
    tools: toolList.optional(),
    model: z.string({ error: 'must be a model name' }).min(1).optional(),
  },
  { error: 'must be a map of name, description, tools, model' },
);

/**
 * Reads and checks both sources; throws `ProfileError` at the first mistake, and for anything
 * else that goes wrong reading them (a file the bot may not read, a YAML bomb of aliases): a
 * reload must never take the bot down.
 */
export function loadProfiles(sources: ProfileSources): ChannelProfiles {
  try {
    const { agents, skills } = sources.agentsDir ? readAgentsDir(sources.agentsDir, sources) : { agents: [], skills: [] };
    const channels = sources.channelConfig ? readChannelConfig(sources.channelConfig, sources, agents, skills) : [];
    return { channels, agents, skills };
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const [setting, file] = sources.agentsDir && (err as { path?: string }).path?.startsWith(sources.agentsDir) ? (['AGENTS_DIR', sources.agentsDir] as const) : (['CHANNEL_CONFIG', sources.channelConfig ?? sources.agentsDir ?? ''] as const);
    throw new ProfileError(setting, (err as { path?: string }).path ?? file, undefined, undefined, `cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`);
  }
}

function readChannelConfig(file: string, sources: ProfileSources, agents: readonly AgentDefinition[], skills: readonly SkillDefinition[]): ChannelProfiles['channels'] {
  const f = profileFile('CHANNEL_CONFIG', file);
  const { doc, lines } = parseConfigYaml(f, readConfigText(f));
  const fail = (keys: readonly PropertyKey[], problem: string): never => {
    throw new ProfileError('CHANNEL_CONFIG', file, lineOf(doc, lines, keys), keyPath(keys) || undefined, problem);
  };
  const parsed = fileSchema.safeParse(plainData(f, doc) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown key is named itself, so a misspelling is found at once.
    const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const near = issue.code === 'unrecognized_keys' ? closest(issue.keys[0]!, issue.path.length === 0 ? ['channels'] : ['model', 'instructions', 'tools', 'agent', 'agents', 'skills', 'allowedUsers']) : undefined;
    fail(keys, issue.code === 'unrecognized_keys' ? `is not a setting${near ? ` (did you mean ${near}?)` : ''}` : issue.message);
  }
  const out: Array<{ selector: string; profile: ChannelProfile; line: number }> = [];
  for (const [selector, given] of Object.entries(parsed.data!.channels)) {
    if (!SELECTOR.test(selector)) {
      const hint = /^slack:#/.test(selector)
        ? 'is not a Slack channel name (lower-case letters, digits, - _ .)'
        : /^slack:[a-z]/.test(selector)
          ? `is not a Slack id: for a channel by its name write slack:#${selector.slice(6)}`
          : 'is not a place: use *, a platform (slack:*, discord:*, local:*), a Slack id (slack:C0123…, slack:T0123…) or slack:#channel-name, or a Discord id (discord:<digits>)';
      fail(['channels', selector], hint);
    }
    const profile: ChannelProfile = given;
    profile.tools?.forEach((tool, i) => {
      if (!sources.tools.includes(tool)) {
        const known: readonly string[] = BUILT_IN_TOOLS;
        fail(['channels', selector, 'tools', i], tool.startsWith('mcp:') ? `${tool} names no server of MCP_CONFIG (write mcp:NAME for a server there)` : known.includes(tool) ? `${tool} is not in COPILOT_TOOLS (a channel can only narrow the bot's tools: ${sources.tools.join(', ') || 'none'})` : `${tool} is not a tool of the Copilot runtime${closest(tool, known) ? ` (did you mean ${closest(tool, known)}?)` : ''}`);
      }
    });
    if (profile.agent !== undefined && !agents.some((a) => a.name === profile.agent)) {
      fail(['channels', selector, 'agent'], agents.length ? `no agent ${profile.agent} in AGENTS_DIR (there: ${agents.map((a) => a.name).join(', ')})` : `no agent ${profile.agent}: AGENTS_DIR has none (set AGENTS_DIR to a folder of agent files)`);
    }
    profile.agents?.forEach((name, i) => {
      if (!agents.some((a) => a.name === name)) fail(['channels', selector, 'agents', i], `no agent ${name} in AGENTS_DIR${agents.length ? ` (there: ${agents.map((a) => a.name).join(', ')})` : ''}`);
    });
    if (profile.agent !== undefined && profile.agents !== undefined && !profile.agents.includes(profile.agent)) {
      fail(['channels', selector, 'agent'], `${profile.agent} is not among this place's agents (${profile.agents.join(', ') || 'none'})`);
    }
    profile.skills?.forEach((name, i) => {
      if (!skills.some((s) => s.name === name)) fail(['channels', selector, 'skills', i], `no skill ${name} in AGENTS_DIR/skills${skills.length ? ` (there: ${skills.map((s) => s.name).join(', ')})` : ''}`);
    });
    if (profile.model !== undefined && sources.modelsListed && !sources.models.includes(profile.model)) {
      fail(['channels', selector, 'model'], `${profile.model} is not in COPILOT_MODELS (${sources.models.join(', ')})`);
    }
    out.push({ selector, profile: { ...profile, ...(profile.instructions !== undefined ? { instructions: profile.instructions.trim() } : {}) }, line: lineOf(doc, lines, ['channels', selector]) ?? 0 });
  }
  return out;
}

function readAgentsDir(dir: string, sources: ProfileSources): { agents: AgentDefinition[]; skills: SkillDefinition[] } {
  let names: string[];
  try {
    if (!fs.statSync(dir).isDirectory()) throw new ProfileError('AGENTS_DIR', dir, undefined, undefined, 'is not a folder');
    names = fs.readdirSync(dir).sort();
  } catch (err) {
    if (err instanceof ProfileError) throw err;
    throw new ProfileError('AGENTS_DIR', dir, undefined, undefined, `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const agents: AgentDefinition[] = [];
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.md') && n.toLowerCase() !== 'readme.md')) {
    const agent = readAgent(path.join(dir, name), sources);
    const twin = agents.find((a) => a.name === agent.name);
    if (twin) throw new ProfileError('AGENTS_DIR', path.join(dir, name), undefined, 'name', `${agent.name} is the name of another agent file too`);
    agents.push(agent);
  }
  return { agents, skills: readSkills(path.join(dir, 'skills')) };
}

/** `skills/<name>/SKILL.md` each; a folder without one is a mistake (a skill that would silently not be there). */
function readSkills(dir: string): SkillDefinition[] {
  if (fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() !== true) return [];
  const skills: SkillDefinition[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const file = path.join(dir, entry.name, 'SKILL.md');
    const { front, body, fail } = readFrontMatter(file, skillFrontMatterSchema, 'is not a setting of a skill (name, description)');
    const name = front?.name ?? entry.name;
    if (!front) fail(undefined, undefined, 'needs front matter with a description (---, description: what it is for, ---)');
    if (!AGENT_NAME.test(name)) fail(undefined, 'name', `the folder's name ${entry.name} cannot name a skill: give it a name: in its front matter`);
    if (!body) fail(undefined, undefined, 'has no instructions after its front matter');
    if (skills.some((s) => s.name === name)) fail(undefined, 'name', `${name} is the name of another skill too`);
    skills.push({ name, description: front!.description, instructions: body });
  }
  const chars = skills.reduce((n, s) => n + s.instructions.length + s.description.length, 0);
  if (chars > MAX_SKILLS_CHARS) throw new ProfileError('AGENTS_DIR', dir, undefined, undefined, `the skills hold ${chars} characters; every session is given them all, so at most ${MAX_SKILLS_CHARS}`);
  return skills;
}

/** A Markdown file's front matter (checked by `schema`) and the text after it; `fail` names the file. */
function readFrontMatter<T extends z.ZodType>(file: string, schema: T, unknownKey: string) {
  const f = profileFile('AGENTS_DIR', file);
  const text = readConfigText(f);
  const match = /^---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  const body = (match ? text.slice(match[0].length) : text).trim();
  const fail = (line: number | undefined, key: string | undefined, problem: string): never => {
    throw new ProfileError('AGENTS_DIR', file, line, key, problem);
  };
  if (!match) return { front: undefined, body, fail, at: () => undefined };
  // The front matter starts on the file's second line.
  const { doc, lines } = parseConfigYaml(f, match[1]!, 1);
  const at = (keys: readonly PropertyKey[]) => lineOf(doc, lines, keys, 1);
  const parsed = schema.safeParse(plainData(f, doc) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    fail(at(keys), keyPath(keys) || undefined, issue.code === 'unrecognized_keys' ? unknownKey : issue.message);
  }
  return { front: parsed.data as z.infer<T>, body, fail, at };
}

/** `---\nfront matter\n---\nprompt`: the front matter is optional (then the file's name is the agent's). */
function readAgent(file: string, sources: ProfileSources): AgentDefinition {
  const fallback = path.basename(file).replace(/\.md$/i, '');
  const { front = {}, body, fail, at } = readFrontMatter(file, frontMatterSchema, 'is not a setting of an agent (name, description, tools, model)');
  const known: readonly string[] = BUILT_IN_TOOLS;
  front.tools?.forEach((tool, i) => {
    if (!known.includes(tool)) fail(at(['tools', i]), `tools[${i}]`, `${tool} is not a tool of the Copilot runtime${closest(tool, known) ? ` (did you mean ${closest(tool, known)}?)` : ''}`);
  });
  const name = front.name ?? fallback;
  if (!AGENT_NAME.test(name)) fail(undefined, 'name', `the file's name ${fallback} cannot name an agent: give it a name: in its front matter (letters, digits, . _ -)`);
  // `agent default` means "back to the channel's": no agent can be called that.
  if (name.toLowerCase() === 'default') fail(at(['name']), 'name', 'default is what `agent default` means (back to the channel\'s agent): give the agent another name');
  // Any thread may switch to any agent: its model would otherwise be a way around COPILOT_MODELS.
  if (front.model !== undefined && sources.modelsListed && !sources.models.includes(front.model)) fail(at(['model']), 'model', `${front.model} is not in COPILOT_MODELS (${sources.models.join(', ')})`);
  if (!body) fail(undefined, undefined, 'has no instructions after its front matter');
  // An agent's tools are within the bot's own: the rest could never run anyway.
  const tools = front.tools?.filter((t) => sources.tools.includes(t));
  return {
    name,
    ...(front.description ? { description: front.description } : {}),
    ...(tools ? { tools } : {}),
    ...(front.model ? { model: front.model } : {}),
    prompt: body,
  };
}

/** Channel names (lower case, no `#`) → the ids of the channels so named (the Slack adapter's lookup). */
export type ChannelNameLookup = (names: readonly string[]) => Promise<ReadonlyMap<string, readonly string[]>>;

/** A reloadable hold on the profiles: the core and the agent read `current` at each turn. */
export class ProfileHolder {
  private loaded: ChannelProfiles;
  private lookup: ChannelNameLookup | undefined;
  /** One reload at a time: two SIGHUPs in a row end with the files as the second read them. */
  private reloading: Promise<unknown> = Promise.resolve();
  constructor(
    private readonly sources: ProfileSources,
    initial?: ChannelProfiles,
  ) {
    this.loaded = initial ?? loadProfiles(sources);
  }

  get current(): ChannelProfiles {
    return this.loaded;
  }

  /**
   * The Slack adapter looks `slack:#name` places up (before it takes events): from now on, and at
   * each reload. A name no channel has stops the start (a `ProfileError`): its profile, perhaps
   * its `allowedUsers`, would otherwise silently apply nowhere.
   */
  async useNames(lookup: ChannelNameLookup): Promise<void> {
    this.lookup = lookup;
    this.loaded = await this.withNames(this.loaded);
  }

  /** Reads the files again (and looks names up); on a mistake keeps what it had and rejects with the `ProfileError`. */
  reload(): Promise<ChannelProfiles> {
    const next = this.reloading.then(async () => {
      this.loaded = await this.withNames(loadProfiles(this.sources));
      return this.loaded;
    });
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async withNames(profiles: ChannelProfiles): Promise<ChannelProfiles> {
    const named = profiles.channels.filter((c) => c.selector.startsWith('slack:#'));
    if (named.length === 0 || !this.lookup) return profiles;
    const found = await this.lookup(named.map((c) => c.selector.slice('slack:#'.length))).catch((err: unknown) => {
      if (err instanceof ProfileError) throw err;
      throw new ProfileError('CHANNEL_CONFIG', this.sources.channelConfig ?? '', undefined, undefined, `Slack channel names could not be looked up: ${err instanceof Error ? err.message : String(err)}`);
    });
    const names = new Map<string, readonly string[]>();
    for (const { selector, line } of named) {
      const ids = found.get(selector.slice('slack:#'.length));
      if (!ids?.length) throw new ProfileError('CHANNEL_CONFIG', this.sources.channelConfig ?? '', line, `channels.${selector}`, `no Slack channel of that name that the bot can see (invite the bot to a private channel, or name the channel by its id)`);
      names.set(selector, ids);
    }
    return { ...profiles, names };
  }
}
