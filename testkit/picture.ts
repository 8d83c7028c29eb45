/**
 * Pictures of what a person sees, drawn as SVG from what the fakes recorded: a Slack or Discord
 * thread (messages, streamed tasks, buttons) and a terminal screen (from the raw bytes a
 * pseudo-terminal received, escape codes and all). Used by test/e2e/pictures.test.ts for the
 * README and docs/; deliberately simple: one font, fixed line height, wrapping by characters.
 */

export interface ChatMessage {
  author: string;
  /** Markdown-ish text: code fences show in monospace, `**`/`*`/`` ` `` markers are dropped. */
  text: string;
  /** Lines above the text (streamed tasks: "✓ Thinking"). */
  tasks?: string[];
  /** Button labels under the text. */
  buttons?: string[];
  /** Shown only to the viewer (Slack's ephemeral messages, Discord's ephemeral replies). */
  private?: boolean;
}

export interface ChatPicture {
  theme: 'slack' | 'discord';
  title: string;
  messages: ChatMessage[];
  /** How the platform's client shows ids in mentions (`C222` → `general`). */
  names?: Record<string, string>;
}

const THEMES = {
  slack: { bg: '#ffffff', fg: '#1d1c1d', dim: '#616061', title: '#f8f8f8', accent: '#1264a3', code: '#f6f6f6', codeFg: '#e01e5a', button: '#ffffff', border: '#dddddd', private: '#f8f8f8' },
  discord: { bg: '#313338', fg: '#dbdee1', dim: '#949ba4', title: '#2b2d31', accent: '#00a8fc', code: '#2b2d31', codeFg: '#dbdee1', button: '#4e5058', border: '#3f4147', private: '#2e3035' },
};

const WIDTH = 760;
const LINE = 20;
const CHARS = 88;

export function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const cut = rest.lastIndexOf(' ', width);
    const at = cut > width / 2 ? cut : width;
    out.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^ /, '');
  }
  return [...out, rest];
}

/** Lines to draw, each marked as code or prose, with Markdown markers and Slack/Discord link syntax reduced to what shows. */
function textLines(text: string, names: Record<string, string> = {}): Array<{ text: string; code: boolean; bold: boolean }> {
  const out: Array<{ text: string; code: boolean; bold: boolean }> = [];
  let code = false;
  for (const raw of text.split('\n')) {
    if (/^\s*```/.test(raw)) {
      code = !code;
      continue;
    }
    if (code) {
      out.push({ text: raw, code: true, bold: false });
      continue;
    }
    const heading = /^#{1,6}\s+(.*)$/.exec(raw);
    const shown = (heading ? heading[1]! : raw)
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
      .replace(/\[([^\]]+)\]\(<?[^)>]+>?\)/g, '$1')
      .replace(/\*\*(.+?)\*\*/g, '$1')
      .replace(/(^|\s)[*_](\S.*?)[*_](?=\s|$)/g, '$1$2')
      .replace(/`([^`]+)`/g, '$1')
      .replace(/<#(\w+)>/g, (_, id: string) => `#${names[id] ?? id}`)
      .replace(/<@(\w+)>/g, (_, id: string) => `@${names[id] ?? id}`)
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&amp;', '&');
    for (const w of wrap(shown, CHARS)) out.push({ text: w, code: false, bold: heading !== null });
  }
  return out;
}

export function chatSvg(picture: ChatPicture): string {
  const t = THEMES[picture.theme];
  const parts: string[] = [];
  let y = 56;
  for (const m of picture.messages) {
    const top = y;
    const body: string[] = [];
    let line = y + 22;
    body.push(`<text x="72" y="${line}" font-weight="bold" fill="${t.fg}">${escapeXml(m.author)}${m.private ? `<tspan fill="${t.dim}" font-weight="normal">  · only visible to you</tspan>` : ''}</text>`);
    for (const task of m.tasks ?? []) body.push(`<text x="72" y="${(line += LINE)}" fill="${t.dim}">${escapeXml(task)}</text>`);
    for (const l of textLines(m.text, picture.names)) {
      line += LINE;
      if (l.code) body.push(`<rect x="68" y="${line - 15}" width="${WIDTH - 100}" height="${LINE}" fill="${t.code}"/><text x="76" y="${line}" font-family="monospace" fill="${t.codeFg}">${escapeXml(l.text)}</text>`);
      else body.push(`<text x="72" y="${line}" fill="${t.fg}"${l.bold ? ' font-weight="bold"' : ''}>${escapeXml(l.text)}</text>`);
    }
    if (m.buttons?.length) {
      line += 12;
      let x = 72;
      for (const b of m.buttons) {
        const w = 16 + b.length * 8;
        // A row of buttons wraps like Slack's does.
        if (x > 72 && x + w > WIDTH - 16) {
          x = 72;
          line += 34;
        }
        body.push(`<rect x="${x}" y="${line}" rx="4" width="${w}" height="26" fill="${t.button}" stroke="${t.border}"/><text x="${x + 8}" y="${line + 18}" fill="${t.fg}">${escapeXml(b)}</text>`);
        x += w + 8;
      }
      line += 26;
    }
    y = line + 16;
    const avatar = `<circle cx="44" cy="${top + 22}" r="14" fill="${m.author === 'Copilot' || m.author === 'copilot' ? t.accent : t.dim}"/>`;
    const shade = m.private ? `<rect x="8" y="${top}" width="${WIDTH - 16}" height="${y - top - 4}" rx="6" fill="${t.private}"/>` : '';
    parts.push(shade, avatar, ...body);
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Lato, Helvetica, Arial, sans-serif" font-size="14">`,
    `<rect width="${WIDTH}" height="${height}" fill="${t.bg}" rx="8"/>`,
    `<rect width="${WIDTH}" height="40" fill="${t.title}" rx="8"/><text x="16" y="26" font-weight="bold" fill="${t.fg}">${escapeXml(picture.title)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

interface Cell {
  ch: string;
  fg: string | undefined;
  bold: boolean;
  dim: boolean;
}

const ANSI_COLOURS: Record<number, string> = { 30: '#555555', 31: '#e06c75', 32: '#98c379', 33: '#e5c07b', 34: '#61afef', 35: '#c678dd', 36: '#56b6c2', 37: '#dcdfe4', 90: '#7f848e' };

/** The screen a terminal shows after `output` (a small emulator: text, \r, \n, SGR colours, erase line/below, column moves). */
export function terminalScreen(output: string): Cell[][] {
  const rows: Cell[][] = [[]];
  let row = 0;
  let col = 0;
  let style = { fg: undefined as string | undefined, bold: false, dim: false };
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === '\x1b' && output[i + 1] === '[') {
      const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(output.slice(i)); // eslint-disable-line no-control-regex
      if (!m) continue;
      i += m[0].length - 1;
      const args = m[1]!.split(';').filter(Boolean).map(Number);
      switch (m[2]) {
        case 'm':
          for (const a of args.length ? args : [0]) {
            if (a === 0) style = { fg: undefined, bold: false, dim: false };
            else if (a === 1) style.bold = true;
            else if (a === 2) style.dim = true;
            else if (a === 22) style = { ...style, bold: false, dim: false };
            else if (a === 39) style.fg = undefined;
            else if (ANSI_COLOURS[a]) style.fg = ANSI_COLOURS[a];
          }
          break;
        case 'K':
          rows[row] = (args[0] ?? 0) === 2 ? [] : rows[row]!.slice(0, col);
          break;
        case 'J':
          rows[row] = rows[row]!.slice(0, col);
          rows.length = row + 1;
          break;
        case 'G':
          col = (args[0] ?? 1) - 1;
          break;
        default:
          break;
      }
      continue;
    }
    if (c === '\r') {
      col = 0;
      continue;
    }
    if (c === '\n') {
      row++;
      col = 0;
      rows[row] ??= [];
      continue;
    }
    const line = rows[row]!;
    while (line.length < col) line.push({ ch: ' ', fg: undefined, bold: false, dim: false });
    line[col++] = { ch: c, ...style };
  }
  return rows;
}

export function terminalSvg(output: string, title = 'Terminal'): string {
  const rows = terminalScreen(output);
  while (rows.length && rows.at(-1)!.every((c) => c.ch === ' ')) rows.pop();
  const height = 48 + rows.length * 18 + 12;
  // As wide as the widest line (a monospace cell is about 0.6 em).
  const width = Math.max(WIDTH, Math.ceil(32 + Math.max(...rows.map((r) => r.length)) * 7.9));
  const lines = rows.map((cells, r) => {
    const spans: string[] = [];
    let run: Cell[] = [];
    const flush = () => {
      if (!run.length) return;
      const s = run[0]!;
      const fill = s.fg ?? (s.dim ? '#7f848e' : '#dcdfe4');
      spans.push(`<tspan fill="${fill}"${s.bold ? ' font-weight="bold"' : ''}>${escapeXml(run.map((x) => x.ch).join(''))}</tspan>`);
      run = [];
    };
    for (const cell of cells) {
      const last = run.at(-1);
      if (last && (last.fg !== cell.fg || last.bold !== cell.bold || last.dim !== cell.dim)) flush();
      run.push(cell);
    }
    flush();
    return `<text x="16" y="${56 + r * 18}" xml:space="preserve">${spans.join('')}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Menlo, Consolas, monospace" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#282c34" rx="8"/>`,
    `<circle cx="20" cy="18" r="6" fill="#ff5f56"/><circle cx="40" cy="18" r="6" fill="#ffbd2e"/><circle cx="60" cy="18" r="6" fill="#27c93f"/>`,
    `<text x="${width / 2}" y="23" text-anchor="middle" fill="#9da5b4">${escapeXml(title)}</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}
