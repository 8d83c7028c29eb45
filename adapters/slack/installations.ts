/**
 * Every Slack workspace its own install (SLACK_CLIENT_ID…): Bolt's `InstallationStore` kept in the
 * bot's store, sealed under TOKEN_ENCRYPTION_KEY like every token it keeps (core/ports.ts'
 * `SecretVault`). A workspace's install is kept under its team id; an org-wide Enterprise Grid
 * install under its enterprise id, and each of the org's workspaces is noted as belonging to it
 * the first time one of its events arrives, so a thread can find its token later (a card, a
 * restart's recovery) knowing only its workspace.
 */
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import type { SecretVault } from '../../src/core/ports.js';

const teamKey = (id: string) => `slack-install:team:${id}`;
const orgKey = (id: string) => `slack-install:enterprise:${id}`;
const memberKey = (team: string) => `slack-install:member:${team}`;

export class SlackInstallations implements InstallationStore {
  constructor(private readonly vault: SecretVault) {}

  async storeInstallation(installation: Installation): Promise<void> {
    const key = installation.isEnterpriseInstall && installation.enterprise ? orgKey(installation.enterprise.id) : installation.team ? teamKey(installation.team.id) : undefined;
    if (!key) throw new Error('an installation without a team or an enterprise');
    await this.vault.put(key, JSON.stringify(installation));
  }

  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation> {
    const found = await this.find(query);
    if (!found) throw new Error(`no installation for ${query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`}`);
    // The workspace's org is remembered: a later lookup by the workspace alone finds the org's install.
    if (query.isEnterpriseInstall && query.teamId && query.enterpriseId) await this.vault.put(memberKey(query.teamId), query.enterpriseId).catch(() => undefined);
    return found;
  }

  async deleteInstallation(query: InstallationQuery<boolean>): Promise<void> {
    if (query.isEnterpriseInstall && query.enterpriseId) await this.vault.delete(orgKey(query.enterpriseId));
    else if (query.teamId) await this.vault.delete(teamKey(query.teamId));
  }

  /**
   * The install that serves `workspace` (a team id, or an enterprise id for an org-wide install):
   * its own, else its org's; undefined where the app is not installed (any more).
   */
  async forWorkspace(workspace: string): Promise<Installation | undefined> {
    const own = await this.read(teamKey(workspace));
    if (own) return own;
    const org = (await this.vault.get(memberKey(workspace))) ?? workspace;
    return this.read(orgKey(org));
  }

  private async find(query: InstallationQuery<boolean>): Promise<Installation | undefined> {
    if (query.isEnterpriseInstall && query.enterpriseId) return this.read(orgKey(query.enterpriseId));
    if (query.teamId) return this.read(teamKey(query.teamId));
    return undefined;
  }

  private async read(key: string): Promise<Installation | undefined> {
    const text = await this.vault.get(key);
    return text === undefined ? undefined : (JSON.parse(text) as Installation);
  }
}
