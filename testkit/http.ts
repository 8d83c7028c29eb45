/** For the fake servers: a request listener that hands over the whole body as text. */
import type http from 'node:http';

export function withBody(handle: (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => void): http.RequestListener {
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  };
}
