/**
 * Every Slack workspace its own install (SLACK_CLIENT_ID…): Bolt's `InstallationStore` kept in the
 * bot's store, sealed under TOKEN_ENCRYPTION_KEY like every token it keeps (core/ports.ts'
 * `SecretVault`). Only the workspaces and orgs SLACK_ALLOWED_TEAMS names may install the app or be
 * answered. A workspace's install is kept under its team id; an org-wide Enterprise Grid install
 * under its enterprise id, and each of the org's workspaces is noted as the org's once Slack says
 * so (`auth.teams.list` with the org's token; never from an event's word, never overwritten), so a
 * thread can find its token later (a card, a restart's recovery) knowing only its workspace.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { SecretVault } from '../../src/core/ports.js';

const teamKey = (id: string) => `slack-install:team:${id}`;
const orgKey = (id: string) => `slack-install:enterprise:${id}`;
const memberKey = (team: string) => `slack-install:member:${team}`;

/** An install as kept: Slack's, and the workspace's address (for permalinks). */
export type KeptInstallation = Installation & { url?: string };

/** A workspace or org SLACK_ALLOWED_TEAMS does not name. */
export class TeamNotAllowedError extends Error {
  override name = 'TeamNotAllowedError';
}

export class SlackInstallations implements InstallationStore {
  /** Workspaces known to belong to an org-wide install (checked with Slack once per process). */
  private readonly members = new Map<string, string>();
  /** `team:enterprise` pairs Slack said are not: not asked again (an outsider in a shared channel). */
  private readonly strangers = new Set<string>();
  /** Addresses of the workspaces whose installs were read: Bolt reads one before each event's listeners. */
  private readonly urls = new Map<string, string>();

  constructor(
    private readonly vault: SecretVault,
    /** SLACK_ALLOWED_TEAMS: team or enterprise ids; `*` any. */
    private readonly allowed: readonly string[],
    private readonly clientFor: (token: string) => WebClient,
  ) {}

  /** Whether a workspace (or org) may have the app. */
  allows(...ids: Array<string | undefined>): boolean {
    return this.allowed.includes('*') || ids.some((id) => id !== undefined && this.allowed.includes(id));
  }

  async storeInstallation(installation: Installation): Promise<void> {
    const org = installation.isEnterpriseInstall === true;
    const id = org ? installation.enterprise?.id : installation.team?.id;
    if (!id) throw new Error('an installation without a team or an enterprise');
    if (!this.allows(installation.team?.id, installation.enterprise?.id)) throw new TeamNotAllowedError(`${org ? 'org' : 'workspace'} ${id} is not in SLACK_ALLOWED_TEAMS`);
    // Rotating tokens expire in 12 hours and the bot does not renew them: the app's rotation must be off.
    if (installation.bot?.refreshToken) throw new Error('the app has token rotation on: turn it off (OAuth & Permissions), the bot keeps one token per workspace');
    const url = org || !installation.bot?.token ? undefined : await this.clientFor(installation.bot.token).auth.test().then((r) => r.url, () => undefined);
    const kept: KeptInstallation = { ...installation, ...(url ? { url } : {}) };
    await this.vault.put(org ? orgKey(id) : teamKey(id), JSON.stringify(kept));
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation> {
    if (!this.allows(query.teamId, query.enterpriseId)) throw new TeamNotAllowedError(`workspace ${query.teamId ?? query.enterpriseId} is not in SLACK_ALLOWED_TEAMS`);
    const found = query.isEnterpriseInstall && query.enterpriseId ? await this.read(orgKey(query.enterpriseId)) : query.teamId ? await this.read(teamKey(query.teamId)) : undefined;
    if (!found) throw new Error(`no installation for ${query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`}`);
    if (query.teamId && found.url) this.urls.set(query.teamId, found.url);
    if (query.isEnterpriseInstall && query.teamId && query.enterpriseId) await this.noteMember(query.teamId, query.enterpriseId, found);
    return found;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    if (query.isEnterpriseInstall && query.enterpriseId) await this.vault.delete(orgKey(query.enterpriseId));
    else if (query.teamId) await this.vault.delete(teamKey(query.teamId));
  }

  /** The install of a query, if kept (to check its token before deleting it). */
  find(query: InstallationQuery<boolean>): Promise<KeptInstallation | undefined> {
    if (query.isEnterpriseInstall && query.enterpriseId) return this.read(orgKey(query.enterpriseId));
    return query.teamId ? this.read(teamKey(query.teamId)) : Promise.resolve(undefined);
  }

  /**
   * The install that serves `workspace` (a team id, or an org's enterprise id): its org's when Slack
   * said it belongs to one (events there are answered with the org's token), else its own;
   * undefined where the app is not installed (any more) or not allowed.
   */
  async forWorkspace(workspace: string): Promise<KeptInstallation | undefined> {
    const org = this.members.get(workspace) ?? (await this.vault.get(memberKey(workspace)));
    const found = (org ? await this.read(orgKey(org)) : undefined) ?? (await this.read(teamKey(workspace))) ?? (await this.read(orgKey(workspace)));
    if (!found || !this.allows(found.team?.id, found.enterprise?.id, workspace)) return undefined;
    return found;
  }

  /** The address of a workspace whose install was read (no await: for the listener about to run). */
  urlOf(workspace: string): string | undefined {
    return this.urls.get(workspace);
  }

  private async noteMember(team: string, enterprise: string, org: Installation): Promise<void> {
    if (this.members.get(team) === enterprise) return;
    const known = await this.vault.get(memberKey(team));
    if (known) {
      // Noted once, from Slack's own list: an event cannot move a workspace to another org.
      this.members.set(team, known);
      return;
    }
    if (this.strangers.has(`${team}:${enterprise}`)) return;
    const token = org.bot?.token;
    if (!token || !(await orgTeams(this.clientFor(token))).includes(team)) {
      this.strangers.add(`${team}:${enterprise}`);
      return;
    }
    this.members.set(team, enterprise);
    await this.vault.put(memberKey(team), enterprise).catch(() => undefined);
  }

  private async read(key: string): Promise<KeptInstallation | undefined> {
    const text = await this.vault.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as KeptInstallation);
  }
}

/** The workspaces of an org-wide install, as Slack lists them. */
async function orgTeams(client: WebClient): Promise<string[]> {
  const teams: string[] = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await client.auth.teams.list({ limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const t of page.teams ?? []) if (t.id) teams.push(t.id);
      cursor = page.response_metadata?.next_cursor || undefined;
    } while (cursor);
  } catch {
    // Slack could not say: nothing is noted (asked again on the next event).
  }
  return teams;
}
