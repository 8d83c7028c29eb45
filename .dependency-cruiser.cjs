/**
 * The direction of imports between the layers (docs/architecture.md), checked by `npm run lint`:
 *
 *   entry points (src/bin/: bot, chat, cli, discord-register; with src/app.ts and the CLI's commands in src/cli/)
 *     → adapters/<platform> → src/core → (src/core/ports.ts) → src/agent, src/store
 *                                       → src/domain.ts, src/infra/
 *
 * Each rule says why; a new arrow that breaks one is a design question, not a lint nit.
 */

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules that import each other cannot be understood, tested or moved one at a time.', from: {}, to: { circular: true } },
    { name: 'tests-stay-in-test', severity: 'error', comment: 'Only tests import tests: fakes and harnesses shared with the bench live in testkit/.', from: { pathNot: '^test/' }, to: { path: '^test/' } },
    { name: 'product-without-fakes', severity: 'error', comment: 'The product never imports the test kit or the bench.', from: { path: '^(src|adapters)/' }, to: { path: '^(testkit|bench)/' } },
    {
      name: 'adapters-talk-to-the-core',
      severity: 'error',
      comment: 'An adapter is platform I/O over the core: the store and the agent are reached through src/core (ports.ts), never directly.',
      from: { path: '^adapters/' },
      to: { path: '^src/(agent|store|cli|bin)/|^src/app\\.ts$' },
    },
    {
      name: 'platforms-apart',
      severity: 'error',
      comment: 'One platform never imports another; what they share is in adapters/shared.',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: ['^adapters/$1/', '^adapters/shared/'] },
    },
    {
      name: 'nothing-below-imports-adapters',
      severity: 'error',
      comment: 'The core, the agent, the store, infra and the domain know no platform.',
      from: { path: '^src/(core|agent|store|infra)/|^src/(domain|config)\\.ts$' },
      to: { path: '^adapters/' },
    },
    {
      name: 'core-through-ports',
      severity: 'error',
      comment: "The core reaches the agent by its port (agent/agent.ts, plus the ports' facade core/ports.ts), never its implementation; and not the store's engine.",
      from: { path: '^src/core/', pathNot: '^src/core/ports\\.ts$' },
      to: { path: ['^src/agent/(?!agent\\.ts$)', '^src/store/(keyv|claims|migrate|store)\\.ts$'] },
    },
    {
      name: 'agent-and-store-look-down',
      severity: 'error',
      comment: 'The agent and the store know the domain and infra only: not the core, the configuration, the entry points, or each other.',
      from: { path: '^src/(agent|store)/' },
      to: { path: ['^src/(core|cli|bin)/', '^src/(app|config)\\.ts$'] },
    },
    { name: 'agent-apart-from-store', severity: 'error', comment: 'The agent and the store are siblings: what both need is in infra/ or the domain.', from: { path: '^src/agent/' }, to: { path: '^src/store/' } },
    { name: 'store-apart-from-agent', severity: 'error', comment: 'The agent and the store are siblings: what both need is in infra/ or the domain.', from: { path: '^src/store/' }, to: { path: '^src/agent/' } },
    { name: 'infra-is-a-leaf', severity: 'error', comment: 'infra/ is plumbing every layer may use; it uses nothing of theirs.', from: { path: '^src/infra/' }, to: { path: '^(src|adapters)/', pathNot: '^src/infra/' } },
    { name: 'domain-is-a-leaf', severity: 'error', comment: 'The shared domain types depend on nothing of the project.', from: { path: '^src/domain\\.ts$' }, to: { path: '^(src|adapters)/' } },
    {
      name: 'config-is-low',
      severity: 'error',
      comment: 'Configuration is read by every entry point; it depends on the domain and infra only.',
      from: { path: '^src/config\\.ts$' },
      to: { path: ['^src/(core|agent|store|cli|bin)/', '^src/app\\.ts$'] },
    },
    {
      name: 'profiles-are-low',
      severity: 'error',
      comment: 'CHANNEL_CONFIG and AGENTS_DIR are read like the configuration (entry points, app): domain and infra only.',
      from: { path: '^src/profiles\\.ts$' },
      to: { path: ['^src/(core|agent|store|cli|bin)/', '^src/(app|config)\\.ts$'] },
    },
    { name: 'entry-points-are-not-libraries', severity: 'error', comment: 'An entry point runs on import; nothing imports one.', from: {}, to: { path: '^src/bin/' } },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
