/**
 * Copilot's Markdown for a terminal (marked + marked-terminal), streamed a block at a time: text
 * is held until its paragraph (or code block, or list) is complete, then rendered and shown, so
 * a half-written `**bold` or code fence never shows raw. Without colours the Markdown is shown as
 * written: it reads fine as plain text.
 */
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { openFence } from '../shared/chunk.js';

export type Render = (markdown: string) => string;

export function terminalRenderer(colour: boolean, width = 100): Render {
  if (!colour) return (markdown) => `${markdown.trimEnd()}\n`;
  // `breaks`: a line break the text has is kept (help, lists of lines); long paragraphs are still wrapped to the width.
  const marked = new Marked({ breaks: true });
  marked.use(markedTerminal({ reflowText: true, width, tab: 2 }) as never);
  return (markdown) => `${(marked.parse(markdown, { async: false }) as string).trimEnd()}\n`;
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
