/**
 * Copilot writes GitHub Markdown; Slack reads mrkdwn. Converts the common constructs (bold,
 * italics, strikethrough, links, headings, lists, code) and escapes `&`, `<`, `>` everywhere,
 * which also means model output can never form `<!channel>`, `<!here>`, `<@U…>` or a link
 * the model did not write as a Markdown link. Bare `@channel`/`@here`/`@everyone` get a
 * zero-width joiner so they can't ping even if a client links names.
 */

const ZWJ = '\u2060';

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export function defuseBroadcasts(text: string): string {
  return text.replace(/@(channel|here|everyone)\b/gi, `@${ZWJ}$1`);
}

export function toMrkdwn(markdown: string): string {
  const out: string[] = [];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    const fence = /^\s*(```+|~~~+)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      // Slack shows no language on fences; a bare ``` keeps the block intact.
      out.push('```');
      inFence = !inFence;
      continue;
    }
    out.push(inFence ? defuseBroadcasts(escapeMrkdwn(line)) : convertLine(line));
  }
  return out.join('\n');
}

function convertLine(line: string): string {
  const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
  if (heading) return `*${inline(heading[1]!)}*`;
  const bullet = /^(\s*)[-*+]\s+(.*)$/.exec(line);
  if (bullet) return `${bullet[1]}• ${inline(bullet[2]!)}`;
  if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) return '──────────';
  return inline(line);
}

/** Inline spans, leaving `code` untouched (but escaped). */
function inline(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part, i) => (i % 2 === 1 ? defuseBroadcasts(escapeMrkdwn(part)) : spans(part)))
    .join('');
}

function spans(text: string): string {
  const links: string[] = [];
  // Links first, kept aside so their URLs are not mangled by emphasis rules.
  let t = text.replace(/\[([^\]\n]+)\]\((https?:\/\/[^)\s]+)\)/g, (_, label: string, url: string) => {
    links.push(`<${url.replaceAll('|', '%7C').replaceAll('>', '%3E')}|${escapeMrkdwn(label).replaceAll('|', '¦')}>`);
    return `\u0000${links.length - 1}\u0000`;
  });
  t = escapeMrkdwn(t);
  t = t.replace(/\*\*(.+?)\*\*/g, '\u0001$1\u0001').replace(/__(.+?)__/g, '\u0001$1\u0001');
  t = t.replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?!\w)/g, '$1_$2_');
  t = t.replace(/~~(.+?)~~/g, '~$1~');
  t = t.replaceAll('\u0001', '*');
  t = defuseBroadcasts(t);
  // eslint-disable-next-line no-control-regex -- NUL-delimited placeholders for the links set aside above
  return t.replace(/\u0000(\d+)\u0000/g, (_, i: string) => links[Number(i)]!);
}
