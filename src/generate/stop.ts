// Stop strings over streamed text: a stop string may arrive split across chunks, so the tail that could
// still grow into one is held back and everything before it is emitted at once.
export class StopMatcher {
  private readonly stops: readonly string[];
  private readonly longest: number;
  private held = '';
  private stopped = false;

  constructor(stops: string[]) {
    for (const s of stops)
      if (typeof s !== 'string' || s.length === 0)
        throw new RangeError(`StopMatcher: stop strings must be non-empty strings, got ${JSON.stringify(s)}`);
    this.stops = [...stops];
    this.longest = Math.max(0, ...stops.map((s) => s.length));
  }

  /**
   * Feeds the next chunk. `emit` is the text now known not to be part of a stop string; once a stop
   * string completes, `emit` is the text before it, `stopped` is true and the stop string is dropped.
   */
  push(text: string): { emit: string; stopped: boolean } {
    if (this.stopped) throw new Error('StopMatcher: push after a stop string already matched');
    const buffer = this.held + text;
    const at = this.firstMatch(buffer);
    if (at >= 0) {
      this.held = '';
      this.stopped = true;
      return { emit: buffer.slice(0, at), stopped: true };
    }
    const keep = this.partialTail(buffer);
    this.held = buffer.slice(buffer.length - keep);
    return { emit: buffer.slice(0, buffer.length - keep), stopped: false };
  }

  /** The held-back text, for when the stream ends without a stop string. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return rest;
  }

  /** Where the earliest stop string starts in `text`, or -1. */
  private firstMatch(text: string): number {
    let first = -1;
    for (const s of this.stops) {
      const at = text.indexOf(s);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    return first;
  }

  /** Length of the longest suffix of `text` that is a proper prefix of some stop string. */
  private partialTail(text: string): number {
    for (let n = Math.min(text.length, this.longest - 1); n > 0; n--) {
      const tail = text.slice(text.length - n);
      if (this.stops.some((s) => s.startsWith(tail))) return n;
    }
    return 0;
  }
}
