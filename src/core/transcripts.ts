/**
 * Rendered transcripts of recently viewed sessions, so paging through a long history does not
 * re-read the whole session log for every page. A thread's transcript is dropped when the thread
 * gets a turn or is forgotten, and after a short time anyway (another process may have used it).
 */
import { renderTranscript, transcriptMarkdown, type Entry, type TranscriptEvent } from './history.js';
import type { SessionId } from './thread.js';

export interface Transcript {
  entries: Entry[];
  markdown: string;
}

export const TRANSCRIPT_TTL_MS = 60_000;
export const TRANSCRIPTS_KEPT = 100;

export class TranscriptCache {
  private readonly kept = new Map<SessionId, Transcript & { at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(id: SessionId): Transcript | undefined {
    const hit = this.kept.get(id);
    if (!hit) return undefined;
    if (this.now() - hit.at > TRANSCRIPT_TTL_MS) {
      this.kept.delete(id);
      return undefined;
    }
    return hit;
  }

  render(id: SessionId, events: readonly TranscriptEvent[]): Transcript {
    const entries = renderTranscript(events);
    const transcript = { entries, markdown: transcriptMarkdown(`Copilot session ${id}`, entries), at: this.now() };
    this.kept.delete(id);
    this.kept.set(id, transcript);
    // Oldest first in a Map: trim from the front.
    for (const key of this.kept.keys()) {
      if (this.kept.size <= TRANSCRIPTS_KEPT) break;
      this.kept.delete(key);
    }
    return transcript;
  }

  drop(id: SessionId): void {
    this.kept.delete(id);
  }
}
