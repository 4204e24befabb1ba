// A small text world for agents that must remember and must not act rashly (issue 14): rooms joined by
// passages, a vault whose door needs a key, a key that the caretaker moves between episodes (a fact that
// changes over time), a note that says which of the vault's two chests is cursed, and the chests
// themselves: opening the cursed one ends the episode in failure and cannot be undone, so an agent should
// try it in its head first. The same world is played episode after episode; what an agent learned in
// one (where the key was, which chest is cursed) helps in the next, if it remembers.
import { Generator } from '../tensor/index.js';
import { shuffled } from './random.js';

const ROOM_NAMES = ['hall', 'kitchen', 'library', 'cellar', 'garden', 'attic', 'study', 'pantry'] as const;
const KEY_COLOURS = ['brass', 'iron', 'silver', 'copper'] as const;
const CARVINGS = ['snake', 'owl', 'fox', 'rose'] as const;

export interface TextWorldOptions {
  /** Rooms besides the vault (default 6, at most 8). */
  rooms?: number;
  /**
   * How the rooms join: a loop (a path through them and one passage more, so moving takes planning) or
   * open (every room opens on every other, as ALFWorld's "go to" does, so what matters is knowing where
   * to go). Default loop.
   */
  layout?: 'loop' | 'open';
  /** The caretaker moves the key every this many episodes (default 1: every episode). */
  keyMovesEvery?: number;
}

export type Outcome = 'treasure' | 'cursed';

export interface StepResult {
  observation: string;
  /** The episode is over (the treasure found, or the curse). */
  done: boolean;
  outcome: Outcome | null;
}

export class TextWorld {
  readonly rooms: string[];
  /** Passages between rooms (undirected); the vault opens off `vaultFrom`. */
  readonly passages: [string, string][];
  readonly vaultFrom: string;
  readonly keyColour: string;
  /** The carvings of the vault's two chests; `cursed` is one of them. */
  readonly chests: [string, string];
  readonly cursed: string;
  /** Where the note about the chests lies. */
  readonly noteRoom: string;
  private readonly seed: number;
  private readonly keyMovesEvery: number;
  readonly layout: 'loop' | 'open';

  private room = '';
  private inventory = new Set<string>();
  private keyRoom: string | null = null;
  private noteTaken = false;
  private over: Outcome | null = null;
  steps = 0;

  constructor(seed: number, options: TextWorldOptions = {}) {
    const n = options.rooms ?? 6;
    if (!Number.isInteger(n) || n < 3 || n > ROOM_NAMES.length) {
      throw new Error(`TextWorld: rooms must be an integer in [3, ${ROOM_NAMES.length}], got ${n}`);
    }
    const every = options.keyMovesEvery ?? 1;
    if (!Number.isInteger(every) || every < 1)
      throw new Error(`TextWorld: keyMovesEvery must be a positive integer, got ${every}`);
    this.seed = seed;
    this.keyMovesEvery = every;
    this.layout = options.layout ?? 'loop';
    const g = new Generator(seed);
    this.rooms = shuffled(g, ROOM_NAMES).slice(0, n);
    if (options.layout === 'open') {
      this.passages = this.rooms.flatMap((a, i) =>
        this.rooms.slice(i + 1).map((b) => [a, b] as [string, string]),
      );
    } else {
      // A spanning path through the rooms, then one more passage: a loop, so there is more than one way.
      this.passages = this.rooms.slice(1).map((r, i) => [this.rooms[i], r] as [string, string]);
      this.passages.push([this.rooms[0], this.rooms[n - 1]]);
    }
    this.vaultFrom = this.rooms[g.randint(n)];
    this.keyColour = KEY_COLOURS[g.randint(KEY_COLOURS.length)];
    const carvings = shuffled(g, CARVINGS);
    this.chests = [carvings[0], carvings[1]];
    this.cursed = this.chests[g.randint(2)];
    this.noteRoom = this.rooms[g.randint(n)];
  }

  /** Where the caretaker left the key in an episode: it moves, so last episode's place may be wrong. */
  keyRoomIn(episode: number): string {
    const g = new Generator(this.seed * 1000 + Math.floor(episode / this.keyMovesEvery) + 1);
    return this.rooms[g.randint(this.rooms.length)];
  }

  /** Starts an episode in the first room, empty-handed; returns the first observation. */
  reset(episode: number): string {
    this.room = this.rooms[0];
    this.inventory = new Set();
    this.keyRoom = this.keyRoomIn(episode);
    this.noteTaken = false;
    this.over = null;
    this.steps = 0;
    return `Episode ${episode}. Find the treasure in the vault. ${this.observe()}`;
  }

  get done(): boolean {
    return this.over !== null;
  }

  /** What the agent sees where it is. */
  observe(): string {
    return this.describe(this.room, {
      key: this.keyRoom === this.room,
      note: this.noteRoom === this.room && !this.noteTaken,
      unlocked: this.inventory.has('key'),
    });
  }

  /**
   * A room as it looks with or without the key and the note in it: its ways out (in the open layout, only
   * the vault's door, since every room opens on every other), then what lies there; the vault, its chests.
   */
  describe(room: string, seen: { key: boolean; note: boolean; unlocked: boolean }): string {
    if (room === 'vault')
      return `You are in the vault. Two chests stand here, one carved with a ${this.chests[0]}, one with a ${this.chests[1]}.`;
    const vault = seen.unlocked ? 'the vault' : 'the vault (locked)';
    let ways: string;
    if (this.layout === 'open') ways = room === this.vaultFrom ? ` A door leads to ${vault}.` : '';
    else {
      const exits = this.neighbours(room).map((r) => `the ${r}`);
      if (room === this.vaultFrom) exits.push(vault);
      ways = ` From here you can go to ${exits.join(', ')}.`;
    }
    const items: string[] = [];
    if (seen.key) items.push(`${/^[aeiou]/.test(this.keyColour) ? 'an' : 'a'} ${this.keyColour} key`);
    if (seen.note) items.push('a note');
    return `You are in the ${room}.${ways}${items.length ? ` You see ${items.join(' and ')}.` : ''}`;
  }

  /** Every action possible here, as the agent would write it. */
  actions(): string[] {
    if (this.done) return [];
    if (this.room === 'vault')
      return [...this.chests.map((c) => `open the ${c} chest`), `go to the ${this.vaultFrom}`];
    const out = this.neighbours(this.room).map((r) => `go to the ${r}`);
    if (this.room === this.vaultFrom) out.push('go to the vault');
    if (this.keyRoom === this.room) out.push(`take the ${this.keyColour} key`);
    if (this.noteRoom === this.room && !this.noteTaken) out.push('read the note');
    return out;
  }

  /** What the note says: the cursed chest, and (so a reader need not work it out) the safe one. */
  noteText(): string {
    const safe = this.chests.find((c) => c !== this.cursed);
    return `The note says: "The chest carved with a ${this.cursed} is cursed; the one carved with a ${safe} is safe."`;
  }

  /** Actions that cannot be undone: opening a chest. */
  static irreversible(action: string): boolean {
    return /^open the \w+ chest$/.test(action.trim());
  }

  /** What an action leads to; an observation that is not a move ends with where one stands (as a look would). */
  act(action: string): StepResult {
    if (this.done) throw new Error('TextWorld: the episode is over; reset() starts the next');
    this.steps++;
    const a = action.trim().toLowerCase().replace(/\.$/, '');
    const result = (observation: string): StepResult => ({
      observation,
      done: this.done,
      outcome: this.over,
    });
    let m = a.match(/^go to the (\w+)$/);
    if (m) {
      const to = m[1];
      if (to === 'vault') {
        if (this.room !== this.vaultFrom)
          return result(`There is no way to the vault from here. ${this.observe()}`);
        if (!this.inventory.has('key'))
          return result(`The vault door is locked; it needs the ${this.keyColour} key.`);
      } else if (!(this.room === 'vault' ? to === this.vaultFrom : this.neighbours(this.room).includes(to))) {
        return result(`You cannot go to the ${to} from here. ${this.observe()}`);
      }
      this.room = to;
      return result(this.observe());
    }
    m = a.match(/^take the (\w+) key$/);
    if (m) {
      if (this.keyRoom !== this.room || m[1] !== this.keyColour) return result('There is no such key here.');
      this.inventory.add('key');
      this.keyRoom = null;
      return result(`You take the ${this.keyColour} key. ${this.observe()}`);
    }
    if (a === 'read the note') {
      if (this.noteRoom !== this.room || this.noteTaken) return result('There is no note here.');
      this.noteTaken = true;
      return result(`${this.noteText()} ${this.observe()}`);
    }
    m = a.match(/^open the (\w+) chest$/);
    if (m && this.room === 'vault' && this.chests.includes(m[1])) {
      this.over = m[1] === this.cursed ? 'cursed' : 'treasure';
      // The chest is named, so the observation alone, remembered, says which one did what.
      return result(
        this.over === 'cursed'
          ? `The ${m[1]} chest opens and a curse falls on you. The episode is over.`
          : `The ${m[1]} chest opens: you find the treasure!`,
      );
    }
    return result(`Nothing happens. You can: ${this.actions().join('; ')}.`);
  }

  /** The rooms on a shortest way from one room to another (breadth-first), `to` last, `from` left out. */
  route(from: string, to: string): string[] {
    const prev = new Map<string, string>([[from, from]]);
    const queue = [from];
    while (queue.length > 0) {
      const r = queue.shift()!;
      for (const n of this.neighbours(r)) {
        if (!prev.has(n)) {
          prev.set(n, r);
          queue.push(n);
        }
      }
    }
    if (!prev.has(to)) throw new Error(`TextWorld: no way from the ${from} to the ${to}`);
    const path: string[] = [];
    for (let r = to; r !== from; r = prev.get(r)!) path.unshift(r);
    return path;
  }

  private neighbours(room: string): string[] {
    return this.passages.flatMap(([a, b]) => (a === room ? [b] : b === room ? [a] : []));
  }
}
