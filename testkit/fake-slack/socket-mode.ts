/** Socket Mode: the app connects to `/link` (after `apps.connections.open`); envelopes go out, acks come back. */
import type http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

export interface SocketMode {
  connected: Promise<void>;
  send(type: 'events_api' | 'slash_commands' | 'interactive', payload: unknown): Promise<unknown>;
  close(): void;
}

export function socketMode(server: http.Server): SocketMode {
  const wss = new WebSocketServer({ server, path: '/link' });
  let socket: WebSocket | undefined;
  let connected: () => void = () => undefined;
  const isConnected = new Promise<void>((resolve) => (connected = resolve));
  const acks = new Map<string, (payload: unknown) => void>();
  let envelopes = 0;
  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      if (msg.envelope_id) acks.get(msg.envelope_id)?.(msg.payload);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A111' }, debug_info: { host: 'fake', approximate_connection_time: 18060 } }));
    connected();
  });
  return {
    connected: isConnected,
    send(type, payload) {
      const id = `env-${++envelopes}`;
      return new Promise((resolve, reject) => {
        if (!socket) return reject(new Error('no Socket Mode connection'));
        acks.set(id, resolve);
        socket.send(JSON.stringify({ envelope_id: id, type, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '', payload }));
      });
    },
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
