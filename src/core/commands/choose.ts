/**
 * `model [name]` and `agent [name]`: what a thread runs with, and switching it. Without a name,
 * anyone in the thread sees what is in effect and where it comes from (the thread's own choice,
 * its channel's profile, the bot's settings) and what else is on offer. With one, the thread's
 * starter or an admin switches (as for `forget`: the thread is theirs); `default` goes back to the
 * channel's. The choice is kept in the thread's record, so every instance and restart sees it.
 */
import type { AgentDefinition, ChannelProfile, ThreadRef } from '../../domain.js';
import type { ThreadChoiceChange, ThreadRegistry } from '../../store/registry.js';
import { inEffect, type InEffect, type Source } from '../profiles.js';
import type { Reply } from '../reply.js';
import type { SessionId } from '../thread.js';

export type Choice = 'model' | 'agent';

export interface ChooseDeps {
  registry: Pick<ThreadRegistry, 'get' | 'choose'>;
  /** The thread's place's profile (CHANNEL_CONFIG), as loaded now. */
  profile: ChannelProfile;
  /** COPILOT_MODEL and COPILOT_MODELS (COPILOT_MODEL first). */
  models: readonly string[];
  defaultModel: string | undefined;
  agents: readonly AgentDefinition[];
  isAdmin: (thread: Pick<ThreadRef, 'platform' | 'user'>) => boolean;
  /** Runs the change in the thread's line (after its running turn: a turn's own record update cannot undo it). */
  inLine: <T>(fn: () => Promise<T>) => Promise<T>;
}

const FROM: Record<Source, string> = { thread: 'chosen in this thread', channel: "this channel's", bot: "the bot's default" };

/** One line for the history header: the model and agent in effect. */
export function effectLine(effect: InEffect): string {
  const model = effect.model.name ? `model ${effect.model.name}${effect.model.from === 'thread' ? ' (chosen here)' : ''}` : undefined;
  const agent = effect.agent.name ? `agent ${effect.agent.name}${effect.agent.from === 'thread' ? ' (chosen here)' : ''}` : undefined;
  return [model, agent].filter(Boolean).join(' · ');
}

export async function choose(thread: ThreadRef, id: SessionId, what: Choice, name: string | undefined, deps: ChooseDeps): Promise<Reply> {
  const record = await deps.registry.get(id);
  const offer = { models: deps.models, agents: deps.agents.map((a) => a.name), defaultModel: deps.defaultModel };
  const names = what === 'model' ? offer.models : offer.agents;
  const effect = inEffect(record, deps.profile, offer);
  if (name === undefined) return { kind: 'notice', text: what === 'model' ? modelText(effect, deps.models) : agentText(effect, deps.agents) };
  // The thread is its starter's: a choice before its first turn would make the chooser its starter.
  if (record === undefined) return { kind: 'notice', text: `This thread has no Copilot session yet: ask your first question, then \`${what} NAME\` switches it.` };
  if (!deps.isAdmin(thread) && record.startedBy !== thread.user) {
    return { kind: 'notice', text: `Only the person who started this thread’s session, or a bot admin, can switch its ${what}.` };
  }
  const back = name.toLowerCase() === 'default';
  if (!back && !names.includes(name)) {
    const offered = names.length ? `On offer: ${names.map((n) => `\`${n}\``).join(', ')}.` : what === 'model' ? 'This bot offers no other models (its operator sets them in COPILOT_MODELS).' : 'No custom agents are on offer here (the operator puts them in AGENTS_DIR, and CHANNEL_CONFIG says where).';
    return { kind: 'notice', text: `There is no ${what} \`${name}\` here. ${offered}` };
  }
  const change: ThreadChoiceChange = { [what]: back ? null : name };
  const updated = await deps.inLine(() => deps.registry.choose(id, change));
  if (!updated) return { kind: 'notice', text: 'This thread has no Copilot session any more.' };
  const now = inEffect(updated, deps.profile, offer)[what];
  const shown = now.name ? `**${now.name}**` : what === 'agent' ? 'no custom agent' : "the runtime's default model";
  return { kind: 'notice', text: back ? `This thread is back to ${FROM[now.from]} ${what}: ${shown}. My next answer here uses it.` : `This thread now uses ${shown}. My next answer here uses it (\`${what} default\` goes back).` };
}

function modelText(effect: InEffect, models: readonly string[]): string {
  const current = effect.model.name ? `**${effect.model.name}** (${FROM[effect.model.from]})` : "the runtime's default model";
  const others = models.filter((m) => m !== effect.model.name);
  return [
    `This thread uses ${current}.`,
    others.length ? `Also on offer: ${others.map((m) => `\`${m}\``).join(', ')}. Say \`model NAME\` to switch, \`model default\` to go back.` : 'No other models are on offer here (the operator lists them in COPILOT_MODELS).',
  ].join('\n');
}

function agentText(effect: InEffect, agents: readonly AgentDefinition[]): string {
  const current = effect.agent.name ? `the agent **${effect.agent.name}** (${FROM[effect.agent.from]})` : 'no custom agent';
  if (agents.length === 0) return `This thread uses ${current}. No custom agents are on offer here (the operator puts them in AGENTS_DIR, and CHANNEL_CONFIG says where).`;
  return [
    `This thread uses ${current}. Agents here:`,
    ...agents.map((a) => `• \`${a.name}\`${a.description ? `: ${a.description}` : ''}`),
    'Say `agent NAME` to switch, `agent default` to go back.',
  ].join('\n');
}
