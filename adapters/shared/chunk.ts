/**
 * Splits a long answer into messages a platform accepts. Cuts at paragraph breaks, then line
 * breaks, then spaces; a cut inside a code fence closes the fence at the end of the chunk and
 * reopens it (same language) at the start of the next, so every chunk renders as valid Markdown.
 */

const FENCE = /^\s*(```+|~~~+)(.*)$/;

export function chunkMarkdown(text: string, limit: number): string[] {
  if (limit < 40) throw new Error('chunk limit too small');
  const chunks: string[] = [];
  let rest = text.trim();
  /** The fence opener (marker + language) the previous chunk had to close. */
  let carried = '';
  while (rest.length > 0) {
    const body = carried ? `${carried}\n${rest}` : rest;
    if (body.length <= limit) {
      chunks.push(body);
      break;
    }
    // Room to close a fence left open at the cut.
    const cut = cutPoint(body, limit - CLOSE_ROOM);
    let piece = body.slice(0, cut).trimEnd();
    const open = openFence(piece);
    if (open) piece = `${piece}\n${open.marker}`;
    carried = open ? `${open.marker}${open.info}` : '';
    chunks.push(piece);
    rest = body.slice(cut).replace(/^\n+/, '');
  }
  return chunks.filter((c) => c.trim().length > 0);
}

const CLOSE_ROOM = 8;

/** The best place at or before `max` to cut: a blank line, a line end, a space, or `max` itself. */
function cutPoint(text: string, max: number): number {
  const window = text.slice(0, max + 1);
  const min = Math.floor(max * 0.5);
  for (const sep of ['\n\n', '\n', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at >= min) return at + (sep === ' ' ? 1 : 0);
  }
  return max;
}

/** The fence left open at the end of `text`, if any. */
export function openFence(text: string): { marker: string; info: string } | undefined {
  let open: { marker: string; info: string } | undefined;
  for (const line of text.split('\n')) {
    const m = FENCE.exec(line);
    if (!m) continue;
    const marker = m[1]!;
    if (!open) open = { marker, info: m[2]!.trim() };
    else if (marker.startsWith(open.marker[0]!) && marker.length >= open.marker.length && m[2]!.trim() === '') open = undefined;
  }
  return open;
}
