// `jielong memory ACTION --db FILE`: an agent's memory store from the command line: write to it (as given,
// or as the model decides), read from it as READ scores, search it, list it, follow a memory's history,
// and add and query the knowledge graph's facts in time.
import {
  askModel,
  formatEdge,
  formatMemories,
  jielong,
  jielongEmbed,
  learnTool,
  type Memory,
  MemoryStore,
  readMemories,
  Sandbox,
  writeMemory,
} from '../agent/index.js';
import { parseWrittenTool, type WrittenTool } from '../chat/index.js';
import { readTextFile } from '../data/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, oneOf, parse, str } from './args.js';
import { modelDir, SHIPPED_MEMORY_MODEL } from './model-path.js';

const OPTIONS = {
  db: { type: 'string' },
  model: { type: 'string' },
  importance: { type: 'string' },
  source: { type: 'string' },
  kind: { type: 'string' },
  k: { type: 'string' },
  at: { type: 'string' },
  entity: { type: 'string' },
  functional: { type: 'boolean' },
  peek: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

const USAGE = `usage: jielong memory <action> --db FILE [options]

An agent's long-term memory (SQLite; created when missing). The model that decides and embeds is --model
(default: the shipped models/memory, fine-tuned on these decisions); a store is read with the model it
was written with.

actions:
  add TEXT            write a memory as given: --importance 1..10 (default 5), --source S (default user),
                      --kind observation|insight
  write TEXT          WRITE: the model rates it and decides ADD, UPDATE, DELETE or NOOP against the
                      memories most like it (prints the decision)
  read QUERY          READ: the --k best memories (default 5) by recency, importance and relevance;
                      marks them read unless --peek
  search QUERY        full-text search (BM25)
  list                every memory
  history ID          a memory's earlier texts (UPDATE and DELETE keep them)
  fact S R O          a fact of the knowledge graph from --at DATE (default now); --functional when S has
                      one R at a time (a different O then closes the old fact)
  facts               the graph's facts: those holding --at DATE, touching --entity NAME
  learn FILE          a tool written in the skill format (name, description, parameters, test lines,
                      code: src/chat/skills.ts): its tests run in the QuickJS sandbox, and it joins the
                      skill library only when every one passes (jielong agent --skills DB offers it)
  skills              the skill library's tools

  --json              one JSON object instead of text`;

export async function memoryCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  const [action, ...rest] = p.positionals;
  const db = str(p, 'db');
  if (!db) throw new Error('--db FILE is required (the memory store; created when missing)');
  const json = p.values.json === true;
  const at = str(p, 'at') ? date(str(p, 'at')!) : new Date();
  const store = MemoryStore.open(db);
  const model = () => {
    const parts = loadCheckpoint(modelDir(str(p, 'model') ?? SHIPPED_MEMORY_MODEL));
    return { ask: askModel(jielong(parts)), embed: jielongEmbed(parts) };
  };
  const text = (what: string) => {
    if (rest.length === 0) throw new Error(`jielong memory ${action}: say the ${what}`);
    return rest.join(' ');
  };
  const show = (value: unknown, lines: string) => console.log(json ? JSON.stringify(value) : lines);
  try {
    switch (action) {
      case 'add': {
        const [v] = await model().embed([text('text')]);
        const m = store.add({
          text: text('text'),
          kind: oneOf(p, 'kind', ['observation', 'insight'] as const, 'observation'),
          importance: num(p, 'importance', 5, { min: 1, max: 10 }),
          source: str(p, 'source') ?? 'user',
          at,
          embedding: Float32Array.from(v),
        });
        show(brief(m), `added memory ${m.id}`);
        return;
      }
      case 'write': {
        const r = await writeMemory(store, text('text'), {
          ...model(),
          at,
          source: str(p, 'source') ?? 'user',
        });
        show(
          {
            decision: r.decision,
            importance: r.importance,
            memory: r.memory && brief(r.memory),
            error: r.error,
          },
          `${r.decision.op}${r.memory ? ` memory ${r.memory.id}` : ''} (importance ${r.importance})${r.error ? `: ${r.error}` : ''}`,
        );
        return;
      }
      case 'read': {
        const [q] = await model().embed([text('query')]);
        const read = readMemories(store, Float32Array.from(q), {
          now: at,
          k: num(p, 'k', 5, { integer: true, min: 1 }),
          peek: p.values.peek === true,
        });
        show(
          read.map((r) => ({
            ...brief(r.memory),
            score: r.score,
            recency: r.recency,
            importance: r.importance,
            relevance: r.relevance,
          })),
          formatMemories(read) || '(no memories)',
        );
        return;
      }
      case 'search': {
        const found = store.search(text('query'), num(p, 'k', 10, { integer: true, min: 1 }));
        show(
          found.map((f) => ({ ...brief(f.memory), bm25: f.bm25 })),
          found.map((f) => `${f.memory.id}  ${f.bm25.toFixed(2)}  ${f.memory.text}`).join('\n') ||
            '(nothing)',
        );
        return;
      }
      case 'list': {
        const all = store.all();
        show(
          all.map(brief),
          all.map((m) => `${m.id}  [${m.kind}, ${m.importance}, ${m.source}]  ${m.text}`).join('\n') ||
            '(empty)',
        );
        return;
      }
      case 'history': {
        const id = Number(text('memory id'));
        if (!Number.isInteger(id)) throw new Error(`jielong memory history: "${rest[0]}" is not a memory id`);
        const h = store.history(id);
        show(h, h.map((e) => `${e.at.toISOString()}  ${e.event}: ${e.text}`).join('\n') || '(no history)');
        return;
      }
      case 'fact': {
        if (rest.length !== 3)
          throw new Error('jielong memory fact: say SUBJECT RELATION OBJECT (quote names with spaces)');
        const [subject, relation, object] = rest;
        const { edge, closed } = store.assertEdge({
          subject,
          relation,
          object,
          validFrom: at,
          learnedAt: new Date(),
          functional: p.values.functional === true,
        });
        show(
          { edge, closed },
          [`fact ${edge.id}: ${formatEdge(edge)}`, ...closed.map((c) => `closed: ${formatEdge(c)}`)].join(
            '\n',
          ),
        );
        return;
      }
      case 'facts': {
        const edges = store.edges({ at: str(p, 'at') ? at : undefined, entity: str(p, 'entity') });
        show(edges, edges.map(formatEdge).join('\n') || '(no facts)');
        return;
      }
      case 'learn': {
        const file = text('file of the written tool');
        const written = parseWrittenTool(readTextFile(file));
        if ('error' in written) throw new Error(`${file}: ${written.error}`);
        const sandbox = new Sandbox();
        try {
          const r = await learnTool(store, sandbox, written, { at });
          show(
            { name: written.spec.function.name, ...r },
            r.learned
              ? `learned ${written.spec.function.name}: ${written.tests.length} tests passed`
              : `not learned: ${r.failures.join('; ')}`,
          );
          if (!r.learned) process.exitCode = 1;
        } finally {
          await sandbox.close();
        }
        return;
      }
      case 'skills': {
        const skills = store.skills();
        show(
          skills.map((k) => ({
            name: k.name,
            description: (k.tool as WrittenTool).spec.function.description,
          })),
          skills
            .map((k) => `${k.name}  ${(k.tool as WrittenTool).spec.function.description ?? ''}`)
            .join('\n') || '(no skills)',
        );
        return;
      }
      default:
        throw new Error(
          `jielong memory: say add, write, read, search, list, history, fact, facts, learn or skills (jielong memory --help)${action ? `, not "${action}"` : ''}`,
        );
    }
  } finally {
    store.close();
  }
}

const brief = (m: Memory) => ({
  id: m.id,
  text: m.text,
  kind: m.kind,
  importance: m.importance,
  source: m.source,
  createdAt: m.createdAt.toISOString(),
  cites: m.cites,
});

function date(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new Error(`--at: "${text}" is not a date (e.g. 2026-03-15)`);
  return d;
}
