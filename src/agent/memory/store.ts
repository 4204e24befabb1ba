// The agent's long-term memory on disk: one SQLite database (better-sqlite3), in WAL mode with full
// syncs, every write one transaction, so a process killed mid-write loses nothing it had committed. Each
// memory keeps its text, kind, importance (1-10), source, when it was made and last read, an embedding,
// and, for an insight, the ids it cites; an UPDATE or DELETE keeps the old text in memory_history, so
// nothing is forgotten silently. FTS5 indexes the texts for BM25 search; embeddings are also held in
// memory as one matrix, which an exact scan searches (measured fast enough for 100k memories at d 128:
// see the agent-memory bench). The knowledge graph's edges live here too (graph.ts reads them).
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';

export type MemoryKind = 'observation' | 'insight';

export interface Memory {
  id: number;
  text: string;
  kind: MemoryKind;
  /** 1 (mundane) to 10 (poignant), rated when written. */
  importance: number;
  /** Where it came from: "user", "tool:lookup(Ada Lin)", "reflection", ... */
  source: string;
  createdAt: Date;
  accessedAt: Date;
  embedding: Float32Array | null;
  /** The memories an insight was drawn from. */
  cites: number[];
}

export type NewMemory = Pick<Memory, 'text' | 'kind' | 'importance' | 'source'> &
  Partial<Pick<Memory, 'embedding' | 'cites'>> & { at: Date };

/** A fact of the knowledge graph, with when it held and when the agent learned it. */
export interface GraphEdge {
  id: number;
  subject: string;
  relation: string;
  object: string;
  validFrom: Date;
  /** When it stopped holding (a later fact contradicted it); null while it holds. */
  validUntil: Date | null;
  learnedAt: Date;
  /** The memory it was read from, if any. */
  memoryId: number | null;
}

export interface NewEdge {
  subject: string;
  relation: string;
  object: string;
  validFrom: Date;
  learnedAt: Date;
  memoryId?: number | null;
  /** At most one object per subject at a time (lives_in): a new object closes the old edge. */
  functional: boolean;
}

export interface HistoryEntry {
  text: string;
  event: 'update' | 'delete';
  at: Date;
}

export interface MemoryStoreOptions {
  /** How long a write waits for another connection's lock before it fails (default 2000 ms). */
  busyTimeoutMs?: number;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE memories (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('observation', 'insight')),
  importance REAL NOT NULL CHECK (importance BETWEEN 1 AND 10),
  source TEXT NOT NULL,
  created_at REAL NOT NULL,
  accessed_at REAL NOT NULL,
  embedding BLOB,
  cites TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE memory_history (
  id INTEGER PRIMARY KEY,
  memory_id INTEGER NOT NULL,
  text TEXT NOT NULL,
  event TEXT NOT NULL CHECK (event IN ('update', 'delete')),
  at REAL NOT NULL
);
CREATE INDEX memory_history_by_memory ON memory_history (memory_id);
CREATE TABLE edges (
  id INTEGER PRIMARY KEY,
  subject TEXT NOT NULL,
  relation TEXT NOT NULL,
  object TEXT NOT NULL,
  valid_from REAL NOT NULL,
  valid_until REAL,
  learned_at REAL NOT NULL,
  memory_id INTEGER
);
CREATE TABLE skills (
  name TEXT PRIMARY KEY,
  tool TEXT NOT NULL,
  created_at REAL NOT NULL
);
CREATE INDEX edges_by_subject ON edges (subject, relation);
CREATE INDEX edges_by_object ON edges (object);
CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='memories', content_rowid='id');
CREATE TRIGGER memories_ai AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER memories_ad AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER memories_au AFTER UPDATE OF text ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.id, old.text);
  INSERT INTO memories_fts (rowid, text) VALUES (new.id, new.text);
END;
`;

interface Row {
  id: number;
  text: string;
  kind: MemoryKind;
  importance: number;
  source: string;
  created_at: number;
  accessed_at: number;
  embedding: Buffer | null;
  cites: string;
}

export class MemoryStore {
  private readonly db: Database.Database;
  /**
   * What READ scores, for every memory, kept in memory in step with the table (so a read touches no disk
   * until it fetches the chosen texts): ids, importance, last read, and the embeddings as one matrix
   * (zero rows, flagged, for memories without one).
   */
  private ids: number[] = [];
  private importance: number[] = [];
  private accessed: number[] = [];
  private embedded: boolean[] = [];
  private position = new Map<number, number>();
  private vectors = new Float32Array(0);
  private dims = 0;

  private constructor(
    readonly path: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.loadCache();
  }

  /**
   * Opens (or creates) the store at `path` (":memory:" for a scratch one). A file that is not a memory store,
   * or is damaged, is refused with its path and SQLite's reason; nothing is written to it.
   */
  static open(path: string, options: MemoryStoreOptions = {}): MemoryStore {
    const fresh = path === ':memory:' || !existsSync(path);
    let db: Database.Database | null = null;
    try {
      db = new Database(path, { timeout: options.busyTimeoutMs ?? 2000 });
      const version = db.pragma('user_version', { simple: true }) as number;
      if (fresh || version === 0) {
        const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
          n: number;
        };
        if (tables.n > 0)
          throw new Error('it is an SQLite database, but not a memory store (no schema version)');
        db.pragma('journal_mode = WAL');
        db.transaction(() => {
          db!.exec(SCHEMA);
          db!.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      } else if (version !== SCHEMA_VERSION) {
        throw new Error(`schema version ${version}; this jielong reads ${SCHEMA_VERSION}`);
      } else {
        const check = db.pragma('quick_check', { simple: true });
        if (check !== 'ok') throw new Error(`it is damaged (quick_check: ${check})`);
        db.pragma('journal_mode = WAL');
      }
      db.pragma('synchronous = FULL');
      return new MemoryStore(path, db);
    } catch (e) {
      db?.close();
      throw new Error(`memory store ${path}: ${reason(e)}`);
    }
  }

  close(): void {
    this.db.close();
  }

  /** Writes a memory (one transaction) and returns it with its id. */
  add(m: NewMemory): Memory {
    return this.get(this.addMany([m])[0])!;
  }

  /** Writes memories in one transaction (all or none, one sync: an import); returns their ids. */
  addMany(memories: readonly NewMemory[]): number[] {
    let dims = this.dims;
    for (const m of memories) {
      checkImportance(m.importance);
      // Checked before anything is written, so the table and the matrix never disagree.
      if (!m.embedding) continue;
      if (dims === 0) dims = m.embedding.length;
      if (m.embedding.length !== dims) {
        throw new Error(
          `memory store: an embedding of ${m.embedding.length} dimensions among embeddings of ${dims}`,
        );
      }
    }
    const insert = this.db.prepare(
      'INSERT INTO memories (text, kind, importance, source, created_at, accessed_at, embedding, cites) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const ids = this.write(() =>
      memories.map((m) => {
        const cites = m.cites ?? [];
        for (const c of cites) if (!this.get(c)) throw new Error(`cites memory ${c}, which does not exist`);
        const at = m.at.getTime();
        const info = insert.run(
          m.text,
          m.kind,
          m.importance,
          m.source,
          at,
          at,
          blob(m.embedding),
          JSON.stringify(cites),
        );
        return Number(info.lastInsertRowid);
      }),
    );
    for (const [i, m] of memories.entries())
      this.appendRow(ids[i], m.importance, m.at.getTime(), m.embedding ?? null);
    return ids;
  }

  /** Replaces a memory's text (and embedding); the old text goes to its history. */
  update(
    id: number,
    text: string,
    options: { at: Date; embedding?: Float32Array | null; importance?: number },
  ): Memory {
    if (options.importance !== undefined) checkImportance(options.importance);
    const v = options.embedding;
    if (v && this.dims > 0 && v.length !== this.dims) {
      throw new Error(
        `memory store: an embedding of ${v.length} dimensions among embeddings of ${this.dims}`,
      );
    }
    this.write(() => {
      const old = this.row(id);
      this.db
        .prepare('INSERT INTO memory_history (memory_id, text, event, at) VALUES (?, ?, ?, ?)')
        .run(id, old.text, 'update', options.at.getTime());
      this.db
        .prepare('UPDATE memories SET text = ?, embedding = ?, importance = ? WHERE id = ?')
        .run(
          text,
          options.embedding === undefined ? old.embedding : blob(options.embedding),
          options.importance ?? old.importance,
          id,
        );
    });
    // The cached row changes in place; only a first embedding (the matrix's width unknown) reloads.
    const i = this.position.get(id)!;
    if (options.importance !== undefined) this.importance[i] = options.importance;
    if (v && this.dims === 0) this.loadCache();
    else if (v !== undefined && this.dims > 0) {
      this.vectors.fill(0, i * this.dims, (i + 1) * this.dims);
      if (v) this.vectors.set(v, i * this.dims);
      this.embedded[i] = v !== null;
    }
    return this.get(id)!;
  }

  /** Removes a memory; its text stays in the history. Insights citing it keep the id. */
  delete(id: number, at: Date): void {
    this.write(() => {
      const old = this.row(id);
      this.db
        .prepare('INSERT INTO memory_history (memory_id, text, event, at) VALUES (?, ?, ?, ?)')
        .run(id, old.text, 'delete', at.getTime());
      this.db.prepare('DELETE FROM memories WHERE id = ?').run(id);
    });
    this.loadCache();
  }

  get(id: number): Memory | null {
    const r = this.db.prepare('SELECT * FROM memories WHERE id = ?').get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** Every memory, oldest first. */
  all(): Memory[] {
    return (this.db.prepare('SELECT * FROM memories ORDER BY id').all() as Row[]).map(fromRow);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM memories').get() as { n: number }).n;
  }

  /** The texts a memory had before, oldest first. */
  history(id: number): HistoryEntry[] {
    const rows = this.db
      .prepare('SELECT text, event, at FROM memory_history WHERE memory_id = ? ORDER BY id')
      .all(id) as { text: string; event: HistoryEntry['event']; at: number }[];
    return rows.map((r) => ({ text: r.text, event: r.event, at: new Date(r.at) }));
  }

  /** Full-text search: the best `limit` memories by BM25 (higher is better) for the words of `query`. */
  search(query: string, limit = 10): { memory: Memory; bm25: number }[] {
    const words = query.match(/[\p{L}\p{N}]+/gu) ?? [];
    if (words.length === 0) return [];
    // Each word quoted: FTS5 syntax in the query is text, not operators.
    const match = words.map((w) => `"${w}"`).join(' OR ');
    const rows = this.db
      .prepare(
        'SELECT m.*, bm25(memories_fts) AS score FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid WHERE memories_fts MATCH ? ORDER BY score LIMIT ?',
      )
      .all(match, limit) as (Row & { score: number })[];
    return rows.map((r) => ({ memory: fromRow(r), bm25: -r.score }));
  }

  /** Cosine similarity of `query` to every embedded memory: ids and scores, in store order. */
  similarities(query: Float32Array): { ids: number[]; cosine: Float32Array } {
    const all = this.relevance(query);
    const rows = [...this.ids.keys()].filter((i) => this.embedded[i]);
    return { ids: rows.map((i) => this.ids[i]), cosine: Float32Array.from(rows, (i) => all[i]) };
  }

  /** Cosine similarity of `query` to every memory, in the order of scores() (0 without an embedding). */
  relevance(query: Float32Array): Float32Array {
    const n = this.ids.length;
    const out = new Float32Array(n);
    if (this.dims === 0) return out;
    if (query.length !== this.dims) {
      throw new Error(`memory store: a query of ${query.length} dimensions for embeddings of ${this.dims}`);
    }
    const d = this.dims;
    let qq = 0;
    for (let j = 0; j < d; j++) qq += query[j] * query[j];
    const qn = Math.sqrt(qq) || 1;
    for (let i = 0; i < n; i++) {
      if (!this.embedded[i]) continue;
      let dot = 0;
      let vv = 0;
      const base = i * d;
      for (let j = 0; j < d; j++) {
        const v = this.vectors[base + j];
        dot += v * query[j];
        vv += v * v;
      }
      out[i] = dot / (qn * (Math.sqrt(vv) || 1));
    }
    return out;
  }

  /** Marks memories as read at `at` (recency counts from the last read). */
  touch(ids: readonly number[], at: Date): void {
    if (ids.length === 0) return;
    const stmt = this.db.prepare('UPDATE memories SET accessed_at = ? WHERE id = ?');
    this.write(() => {
      for (const id of ids) stmt.run(at.getTime(), id);
    });
    for (const id of ids) {
      const i = this.position.get(id);
      if (i !== undefined) this.accessed[i] = at.getTime();
    }
  }

  /** Every memory's id, importance and last read (ms), in one order (relevance() uses it too). */
  scores(): { ids: readonly number[]; importance: readonly number[]; accessedAt: readonly number[] } {
    return { ids: this.ids, importance: this.importance, accessedAt: this.accessed };
  }

  /**
   * Adds a fact to the graph. The same fact already open is not added twice. For a functional relation a
   * different object contradicts: the open edge is closed where the new one starts (never deleted, so what
   * held before can still be asked), or, when the new fact is older than the open one, the new edge is
   * closed where the open one starts.
   */
  assertEdge(e: NewEdge): { edge: GraphEdge; closed: GraphEdge[] } {
    const from = e.validFrom.getTime();
    return this.write(() => {
      const open = (
        this.db
          .prepare('SELECT * FROM edges WHERE subject = ? AND relation = ? AND valid_until IS NULL')
          .all(e.subject, e.relation) as EdgeRow[]
      ).map(edgeFromRow);
      const same = open.find((o) => o.object === e.object);
      if (same) return { edge: same, closed: [] };
      let until: number | null = null;
      const closed: GraphEdge[] = [];
      if (e.functional) {
        for (const o of open) {
          if (o.validFrom.getTime() <= from) {
            this.db.prepare('UPDATE edges SET valid_until = ? WHERE id = ?').run(from, o.id);
            closed.push({ ...o, validUntil: new Date(from) });
          } else {
            until = Math.min(until ?? Number.POSITIVE_INFINITY, o.validFrom.getTime());
          }
        }
      }
      const info = this.db
        .prepare(
          'INSERT INTO edges (subject, relation, object, valid_from, valid_until, learned_at, memory_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(e.subject, e.relation, e.object, from, until, e.learnedAt.getTime(), e.memoryId ?? null);
      const edge = edgeFromRow(
        this.db.prepare('SELECT * FROM edges WHERE id = ?').get(info.lastInsertRowid) as EdgeRow,
      );
      return { edge, closed };
    });
  }

  /** The graph's edges: all, or those holding at `at`; those touching `entity` only, when given. */
  edges(options: { at?: Date; entity?: string } = {}): GraphEdge[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (options.at) {
      where.push('valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)');
      args.push(options.at.getTime(), options.at.getTime());
    }
    if (options.entity !== undefined) {
      where.push('(subject = ? OR object = ?)');
      args.push(options.entity, options.entity);
    }
    const sql = `SELECT * FROM edges${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id`;
    return (this.db.prepare(sql).all(...args) as EdgeRow[]).map(edgeFromRow);
  }

  /** Saves a tool the agent wrote (JSON: its manual, tests and code) under its name, replacing one. */
  saveSkill(name: string, tool: unknown, at: Date): void {
    this.write(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO skills (name, tool, created_at) VALUES (?, ?, ?)')
        .run(name, JSON.stringify(tool), at.getTime());
    });
  }

  /** The saved tools, oldest first, as saved. */
  skills(): { name: string; tool: unknown; createdAt: Date }[] {
    const rows = this.db.prepare('SELECT * FROM skills ORDER BY created_at, name').all() as {
      name: string;
      tool: string;
      created_at: number;
    }[];
    return rows.map((r) => ({ name: r.name, tool: JSON.parse(r.tool), createdAt: new Date(r.created_at) }));
  }

  private row(id: number): Row {
    const r = this.db.prepare('SELECT * FROM memories WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new Error(`no memory ${id}`);
    return r;
  }

  /** One transaction; SQLite's errors (a lock held too long, a full disk) name the store. */
  private write<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw new Error(`memory store ${this.path}: ${reason(e)}`);
    }
  }

  private loadCache(): void {
    const rows = this.db
      .prepare('SELECT id, importance, accessed_at, embedding FROM memories ORDER BY id')
      .all() as { id: number; importance: number; accessed_at: number; embedding: Buffer | null }[];
    this.ids = [];
    this.importance = [];
    this.accessed = [];
    this.embedded = [];
    this.position = new Map();
    this.vectors = new Float32Array(0);
    this.dims = 0;
    for (const r of rows)
      this.appendRow(r.id, r.importance, r.accessed_at, r.embedding ? vector(r.embedding) : null);
  }

  private appendRow(id: number, importance: number, accessed: number, v: Float32Array | null): void {
    if (v && this.dims === 0) {
      this.dims = v.length;
      this.vectors = new Float32Array(Math.max(1024, this.ids.length + 1) * this.dims);
    }
    if (v && v.length !== this.dims) {
      throw new Error(
        `memory store: an embedding of ${v.length} dimensions among embeddings of ${this.dims}`,
      );
    }
    const n = this.ids.length;
    if (this.dims > 0 && (n + 1) * this.dims > this.vectors.length) {
      const grown = new Float32Array(2 * (n + 1) * this.dims);
      grown.set(this.vectors);
      this.vectors = grown;
    }
    if (v) this.vectors.set(v, n * this.dims);
    this.ids.push(id);
    this.importance.push(importance);
    this.accessed.push(accessed);
    this.embedded.push(v !== null);
    this.position.set(id, n);
  }
}

interface EdgeRow {
  id: number;
  subject: string;
  relation: string;
  object: string;
  valid_from: number;
  valid_until: number | null;
  learned_at: number;
  memory_id: number | null;
}

function edgeFromRow(r: EdgeRow): GraphEdge {
  return {
    id: r.id,
    subject: r.subject,
    relation: r.relation,
    object: r.object,
    validFrom: new Date(r.valid_from),
    validUntil: r.valid_until === null ? null : new Date(r.valid_until),
    learnedAt: new Date(r.learned_at),
    memoryId: r.memory_id,
  };
}

function checkImportance(x: number): void {
  if (!(x >= 1 && x <= 10)) throw new Error(`memory store: importance must be in 1..10, got ${x}`);
}

const blob = (v: Float32Array | null | undefined) =>
  v ? Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)) : null;

const vector = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

function fromRow(r: Row): Memory {
  return {
    id: r.id,
    text: r.text,
    kind: r.kind,
    importance: r.importance,
    source: r.source,
    createdAt: new Date(r.created_at),
    accessedAt: new Date(r.accessed_at),
    embedding: r.embedding ? vector(r.embedding) : null,
    cites: JSON.parse(r.cites) as number[],
  };
}

function reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/database is locked|SQLITE_BUSY/i.test(message))
    return `${message} (another process holds it; try again, or close it)`;
  return message;
}
