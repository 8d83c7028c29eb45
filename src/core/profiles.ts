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

/** What a thread chose for itself (its registry record). */
export interface ThreadChoice {
  model?: string;
  agent?: string;
}

/** What the thread's session is opened with: its choices over its place's profile, a choice no longer on offer ignored. */
export function sessionProfile(profile: ChannelProfile, choice: ThreadChoice, offer: { models: readonly string[]; agents: readonly string[] }): SessionProfile {
  // The place's own list of agents narrows what a thread there may choose.
  const agents = profile.agents ? offer.agents.filter((a) => profile.agents!.includes(a)) : offer.agents;
  const model = choice.model !== undefined && offer.models.includes(choice.model) ? choice.model : profile.model;
  // The place's own agent too is one of its agents (entries of different places may disagree).
  const agent = choice.agent !== undefined && agents.includes(choice.agent) ? choice.agent : profile.agent !== undefined && agents.includes(profile.agent) ? profile.agent : undefined;
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
