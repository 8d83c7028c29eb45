/**
 * The Slack workspaces the bot answers in, and each one's bot: its token, its user id, its web
 * client and address. With SLACK_BOT_TOKEN there is one, whatever the workspace; with installs
 * (SLACK_CLIENT_ID…) each workspace (or Enterprise Grid org) has its own, read from the sealed
 * installs and kept in memory for a minute. Listeners get their event's bot from Bolt (which
 * looked it up before calling them); what runs outside an event (approval cards, `sessions`'
 * visibility checks, recovery after a restart) asks here by the thread's workspace.
 */
import type { WebClient } from '@slack/web-api';
import type { SlackInstallations } from './installations.js';

export interface Team {
  client: WebClient;
  /** The bot token: files are downloaded with it. */
  token: string;
  botUserId: string;
  /** The workspace's address (for thread permalinks); absent on org-wide installs. */
  url: string | undefined;
}

export interface Teams {
  /** The bot of `workspace` (a team id, or an org's enterprise id); undefined where the app is not installed. */
  get(workspace: string): Promise<Team | undefined>;
  /** The workspace's address, if known (Bolt read its install for the event being handled): no await. */
  urlOf(workspace: string): string | undefined;
  /** The app was uninstalled from a workspace (or its tokens revoked): its bot is forgotten here. */
  forget(workspace: string): void;
}

/** One bot token for every workspace (SLACK_BOT_TOKEN). */
export function oneTeam(team: Team): Teams {
  return { get: async () => team, urlOf: () => team.url, forget: () => undefined };
}

/**
 * How long a workspace's bot is remembered before its install is read again: an uninstall seen by
 * another instance shows here by then. A workspace without an install is not remembered (one
 * installed a moment ago is found at once).
 */
const REMEMBER_MS = 60_000;

/** Every workspace its own install. `clientFor` makes a web client with a token (the adapter's options). */
export function installedTeams(installations: SlackInstallations, clientFor: (token: string) => WebClient, now: () => number = Date.now): Teams {
  const known = new Map<string, { at: number; team: Team }>();
  return {
    async get(workspace) {
      const hit = known.get(workspace);
      if (hit && now() - hit.at < REMEMBER_MS) return hit.team;
      const installation = await installations.forWorkspace(workspace);
      const token = installation?.bot?.token;
      const botUserId = installation?.bot?.userId;
      if (!installation || !token || !botUserId) {
        known.delete(workspace);
        return undefined;
      }
      const team: Team = { client: clientFor(token), token, botUserId, url: installation.url };
      known.set(workspace, { at: now(), team });
      return team;
    },
    urlOf: (workspace) => known.get(workspace)?.team.url ?? installations.urlOf(workspace),
    forget(workspace) {
      known.delete(workspace);
    },
  };
}
