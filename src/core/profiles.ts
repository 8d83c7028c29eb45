/**
 * Which CHANNEL_CONFIG entries apply to a thread, and what its session is opened with. Pure: the
 * loaded profiles, the thread and its own choices (`/copilot model`, `/copilot agent`) in, a
 * profile out.
 *
 * Every matching entry applies, the more specific over the less, field by field: `*`, then the
 * platform (`slack:*`), then the workspace (`slack:T…`, `discord:<guild>`), then the channel (by
 * id or, on Slack, `#name`; a Discord thread also by its parent's). A thread's own
 * choice of model or agent wins over all of them, while it is still on offer.
 */
import type { ChannelProfile, ChannelProfiles, ProfileSelector, SessionProfile, ThreadRef } from '../domain.js';

/** Where the core reads the profiles as loaded now (src/profiles.ts's ProfileHolder; a reload replaces them). */
export interface ProfileSource {
  readonly current: ChannelProfiles;
}

/** How specific a selector is for this thread; undefined when it does not match. */
export function specificity(selector: ProfileSelector, thread: Pick<ThreadRef, 'platform' | 'workspace' | 'channel' | 'parent'>, names?: ChannelProfiles['names']): number | undefined {
  if (selector === '*') return 0;
  const colon = selector.indexOf(':');
  if (colon < 0 || selector.slice(0, colon) !== thread.platform) return undefined;
  const place = selector.slice(colon + 1);
  if (place === '*') return 1;
  // A Slack channel by its name: by the ids that name had when the profiles were loaded.
  if (place.startsWith('#')) return names?.get(selector)?.some((id) => id === thread.channel || id === thread.parent) ? 3 : undefined;
  if (place === thread.workspace) return 2;
  if (place === thread.channel || (thread.parent !== undefined && place === thread.parent)) return 3;
  return undefined;
}

/**
 * The thread's profile: every matching entry, least specific first, later fields over earlier;
 * `instructions` add up instead (everywhere's, then the workspace's, then the channel's).
 */
export function profileFor(profiles: ChannelProfiles, thread: Pick<ThreadRef, 'platform' | 'workspace' | 'channel' | 'parent'>): ChannelProfile {
  const matching = profiles.channels
    .map((entry, order) => ({ entry, order, rank: specificity(entry.selector, thread, profiles.names) }))
    .filter((m): m is typeof m & { rank: number } => m.rank !== undefined)
    .sort((a, b) => a.rank - b.rank || a.order - b.order);
  const merged: ChannelProfile = {};
  const instructions: string[] = [];
  for (const { entry } of matching) {
    for (const [key, value] of Object.entries(entry.profile)) if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    if (entry.profile.instructions !== undefined) instructions.push(entry.profile.instructions);
  }
  const joined = instructions.filter(Boolean).join('\n\n');
  if (joined) merged.instructions = joined;
  else delete merged.instructions;
  return merged;
}

/** What a thread chose for itself (`model NAME`, `agent NAME`; its registry record). */
export interface ThreadChoice {
  model?: string;
  agent?: string;
}

/** What a thread runs with, and why. */
export interface InEffect {
  model: { name: string | undefined; from: Source };
  agent: { name: string | undefined; from: Source };
}

export type Source = 'thread' | 'channel' | 'bot';

/** What may be chosen: the models on offer, the agents of AGENTS_DIR (the place's own list narrows them), and the bot's model. */
export interface Offer {
  models: readonly string[];
  agents: readonly string[];
  defaultModel?: string | undefined;
}

/**
 * The model and agent a thread's next turn uses: its own choice while still on offer, else its
 * place's (an agent only if the place offers it: entries of different places may disagree), else the bot's.
 */
export function inEffect(choice: ThreadChoice | undefined, profile: ChannelProfile, offer: Offer): InEffect {
  const agents = profile.agents ? offer.agents.filter((a) => profile.agents!.includes(a)) : offer.agents;
  const model: InEffect['model'] =
    choice?.model !== undefined && offer.models.includes(choice.model)
      ? { name: choice.model, from: 'thread' }
      : profile.model !== undefined
        ? { name: profile.model, from: 'channel' }
        : { name: offer.defaultModel, from: 'bot' };
  const agent: InEffect['agent'] =
    choice?.agent !== undefined && agents.includes(choice.agent)
      ? { name: choice.agent, from: 'thread' }
      : profile.agent !== undefined && agents.includes(profile.agent)
        ? { name: profile.agent, from: 'channel' }
        : { name: undefined, from: 'bot' };
  return { model, agent };
}

/** What the thread's session is opened with: `inEffect` over its place's profile (the bot's own model left to the agent's settings). */
export function sessionProfile(profile: ChannelProfile, choice: ThreadChoice, offer: Offer): SessionProfile {
  const effect = inEffect(choice, profile, offer);
  const model = effect.model.from === 'bot' ? undefined : effect.model.name;
  const agent = effect.agent.name;
  return {
    ...(model !== undefined ? { model } : {}),
    ...(agent !== undefined ? { agent } : {}),
    ...(profile.instructions !== undefined ? { instructions: profile.instructions } : {}),
    ...(profile.tools !== undefined ? { tools: profile.tools } : {}),
    ...(profile.agents !== undefined ? { agents: profile.agents } : {}),
    ...(profile.skills !== undefined ? { skills: profile.skills } : {}),
  };
}

/** The agents a place offers: its own list of them, or every one of AGENTS_DIR. */
export function agentsOffered<T extends { name: string }>(profile: ChannelProfile, agents: readonly T[]): T[] {
  return profile.agents ? agents.filter((a) => profile.agents!.includes(a.name)) : [...agents];
}

/** Whether `person` (`platform:user`) may talk to the bot in a place with this profile (admins are let in before). */
export function allowedByProfile(profile: ChannelProfile, person: string): boolean {
  return profile.allowedUsers === undefined || profile.allowedUsers.includes(person);
}
