/**
 * What the adapters see of the layers below the core, named here so that an adapter imports the
 * core and nothing under it (the import rules in .dependency-cruiser.cjs): the store's records,
 * claims, journal and sealed secrets (Slack installs) the entry point hands each adapter, and the agent's progress events a reply
 * shows while a turn runs.
 */
export type { ThreadRegistry, ThreadRecord } from '../store/registry.js';
export { openingOf } from '../store/registry.js';
export type { TurnJournal } from '../store/journal.js';
export type { Dedupe } from '../store/dedupe.js';
export type { SecretVault } from '../store/secrets.js';
export type { TurnProgress } from '../agent/agent.js';
