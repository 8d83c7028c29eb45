/**
 * How MCP_CONFIG's servers are doing, for the start log and /healthz (`mcp: { name: "ok" |
 * "down: …" }`). The runtime starts a session's servers itself and says how each went (the
 * `session.mcp_servers_loaded` and `session.mcp_server_status_changed` events, `rpc.mcp.list()`);
 * every session the bot opens reports here, and `check` opens one at start to learn it before
 * the first message. A server that is down is only that: sessions go on without its tools.
 */
import type { CopilotSession } from '@github/copilot-sdk';
import type { Logger } from '../../infra/log.js';

/** What the runtime says of a server (runtime 1.0.14: connected, failed, needs-auth, pending, disabled, not_configured). */
interface ServerState {
  name: string;
  status: string;
  error?: string | undefined;
}

export class McpHealth {
  private readonly states = new Map<string, string>();

  constructor(
    names: readonly string[],
    /** Values of MCP_CONFIG's `${env:…}` references: a server's error that echoes one shows `***`. */
    private readonly secrets: readonly string[],
    private readonly logger: Logger,
  ) {
    for (const name of names) this.states.set(name, 'not started yet');
  }

  get configured(): boolean {
    return this.states.size > 0;
  }

  /** Each server's state in words; undefined when MCP_CONFIG names none. */
  report(): Record<string, string> | undefined {
    return this.states.size ? Object.fromEntries(this.states) : undefined;
  }

  /** Hears what the runtime says of `session`'s servers; returns the unsubscribe. */
  observe(session: CopilotSession): () => void {
    return session.on((event) => {
      if (event.type === 'session.mcp_servers_loaded') for (const s of event.data.servers) this.record(s);
      else if (event.type === 'session.mcp_server_status_changed') this.record({ name: event.data.serverName, status: event.data.status, error: event.data.error });
    });
  }

  /**
   * Waits (at most `timeoutMs`) until `session`'s servers have all connected or failed, and
   * records how each went. Servers still starting then are reported as such.
   */
  async settle(session: CopilotSession, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const list = await session.rpc.mcp.list();
      const failed = (list.host?.failedServers ?? {}) as Record<string, unknown>;
      const states: ServerState[] = list.servers.map((s) => ({ name: s.name, status: s.status, error: s.error ?? (typeof failed[s.name] === 'string' ? failed[s.name] as string : undefined) }));
      const pending = [...this.states.keys()].filter((name) => {
        const state = states.find((s) => s.name === name);
        return !state || state.status === 'pending' || list.host?.pendingConnections?.includes(name);
      });
      for (const state of states) if (this.states.has(state.name)) this.record(state);
      if (pending.length === 0 || Date.now() >= until) {
        for (const name of pending) this.record({ name, status: 'pending' });
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private record(s: ServerState): void {
    if (!this.states.has(s.name)) return;
    const now = this.describe(s);
    const before = this.states.get(s.name);
    if (now === before) return;
    this.states.set(s.name, now);
    if (now.startsWith('down')) this.logger.warn({ server: s.name, state: now }, 'MCP server is down: sessions go on without its tools');
    else if (now === 'ok' && before?.startsWith('down')) this.logger.info({ server: s.name }, 'MCP server is up again');
  }

  private describe(s: ServerState): string {
    switch (s.status) {
      case 'connected':
        return 'ok';
      case 'failed':
        return `down: ${this.mask(s.error ?? 'it failed to start')}`;
      case 'needs-auth':
        return 'down: it asks for an OAuth sign-in, which the bot cannot give: give it a token in headers (${env:NAME})';
      case 'pending':
        return 'starting';
      default:
        return `down: ${s.status}`;
    }
  }

  private mask(text: string): string {
    let out = text.split('\n')[0]!;
    for (const secret of this.secrets) if (secret) out = out.split(secret).join('***');
    return out.slice(0, 300);
  }
}
