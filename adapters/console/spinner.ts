/** "⠋ Copilot is thinking…" on the last line of a terminal while a turn runs; erased before anything else is written. */
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
export const SPINNER_MS = 80;

export class Spinner {
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private label = 'Copilot is thinking…';

  constructor(private readonly out: NodeJS.WritableStream) {}

  start(label?: string): void {
    if (label) this.label = label;
    if (this.timer) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), SPINNER_MS);
  }

  /** Erases the spinner line; the caller writes next. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.out.write('\r\x1b[2K');
  }

  private draw(): void {
    this.out.write(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.label}`);
  }
}
