/**
 * Copilot's Markdown for a terminal (marked + marked-terminal), streamed a block at a time: text
 * is held until its paragraph (or code block, or list) is complete, then rendered and shown, so
 * a half-written `**bold` or code fence never shows raw. Without colours (NO_COLOR, a pipe) the
 * same layout is written as plain text: no `**` or backticks, code indented, tables drawn.
 */
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { openFence } from '../shared/chunk.js';

export type Render = (markdown: string) => string;

const asIs = (s: string) => s;
/** marked-terminal's styles, each left as the text: its layout without a single escape code. */
const PLAIN_STYLES = Object.fromEntries(
  ['code', 'blockquote', 'html', 'heading', 'firstHeading', 'hr', 'listitem', 'table', 'paragraph', 'strong', 'em', 'codespan', 'del', 'link', 'href', 'text'].map((k) => [k, asIs]),
);

/** `width`: long paragraphs are wrapped to it; `undefined` (a pipe): lines are left as long as they are. */
export function terminalRenderer(colour: boolean, width: number | undefined): Render {
  // `breaks`: a line break the text has is kept (help, lists of lines).
  const marked = new Marked({ breaks: true });
  const layout = { reflowText: width !== undefined, width: width ?? 100, tab: 2 };
  marked.use(
    (colour
      ? markedTerminal(layout)
      : markedTerminal({ ...layout, ...PLAIN_STYLES, showSectionPrefix: false, tableOptions: { style: { head: [], border: [] } } })) as never,
  );
  const rendered = (markdown: string) => `${(marked.parse(markdown, { async: false })).trimEnd()}\n`;
  // Code is highlighted by cli-highlight whatever the styles say (it follows chalk's own idea of
  // the terminal): without colours, any colour code left is taken out.
  // eslint-disable-next-line no-control-regex
  return colour ? rendered : (markdown) => rendered(markdown).replace(/\x1b\[[0-9;]*m/g, '');
}

/** Splits a growing answer into blocks that are safe to render: whole paragraphs, outside code. */
export class MarkdownBlocks {
  private buffer = '';

  /** Adds streamed text; returns the blocks that are now complete (may be none). */
  push(text: string): string[] {
    this.buffer += text;
    const out: string[] = [];
    for (;;) {
      const end = this.completeUpTo();
      if (end <= 0) break;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end);
      if (block.trim()) out.push(block);
    }
    return out;
  }

  /** What is left at the end of the answer. */
  end(): string | undefined {
    const rest = this.buffer;
    this.buffer = '';
    return rest.trim() ? rest : undefined;
  }

  /** The end of the first complete block: a blank line that is not inside a code block. */
  private completeUpTo(): number {
    let from = 0;
    for (;;) {
      const at = this.buffer.indexOf('\n\n', from);
      if (at < 0) return 0;
      const candidate = this.buffer.slice(0, at);
      if (!openFence(candidate)) return at + 2;
      from = at + 2;
    }
  }
}
