// `jielong agent text-world`: the text world played episode after episode by a model that runs its own
// memory (models/memory by default), each step printed: what it recalled, what it saw, what it did, and,
// with --search, the branches it tried in its head before opening a chest.
import {
  type AgentStep,
  askModel,
  hashedEmbed,
  jielong,
  likelihoodChoice,
  MEMORY_MODES,
  MemoryStore,
  playEpisode,
  summarise,
} from '../agent/index.js';
import { setNumThreads } from '../backend/index.js';
import { TextWorld } from '../data/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, oneOf, parse, str } from './args.js';
import { chooseModel, MODEL_OPTIONS } from './model-choice.js';
import { modelDir, SHIPPED_MEMORY_MODEL } from './model-path.js';

const USAGE = `usage: jielong agent text-world [options]

Plays the text world (rooms, a key the caretaker moves every few episodes, a locked vault, a note, and a
cursed chest that cannot be undone) for several episodes; the model decides every action and runs its
memory: how important each observation is, what to keep (WRITE), what to conclude (REFLECTION), which
facts it states (the graph), and what opening a chest would bring (--search).

model (one of):
  --model DIR          a jielong chat checkpoint (default: models/memory, trained for exactly this)
  --endpoint URL --model-id ID [--api-key KEY] [--completions]   an OpenAI-compatible server
memory:
  --memory MODE        ${MEMORY_MODES.join(', ')} (default read-write)
  --search             simulate both chests with the model as world model before opening one
  --choose reply|likelihood
                       how the action is picked: the model's reply read as an action (default; any
                       model), or every action scored by the model's probability of writing it
                       (SayCan's way; jielong checkpoints only, so not with --endpoint)
  --db FILE            keep the memories in this SQLite file (default: in memory, gone at exit)
world:
  --episodes N         (default 4)   --world-seed N (default 1)   --rooms N (default 5)
  --key-moves-every N  (default 3)   --max-steps N (default 20)
output:
  --quiet              only each episode's outcome     --json   one JSON object per episode
  --threads N`;

const OPTIONS = {
  ...MODEL_OPTIONS,
  memory: { type: 'string' },
  search: { type: 'boolean' },
  choose: { type: 'string' },
  db: { type: 'string' },
  episodes: { type: 'string' },
  'world-seed': { type: 'string' },
  rooms: { type: 'string' },
  'key-moves-every': { type: 'string' },
  'max-steps': { type: 'string' },
  quiet: { type: 'boolean' },
  json: { type: 'boolean' },
  threads: { type: 'string' },
} as const;

export async function textWorldCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (p.positionals.length)
    throw new Error(`jielong agent text-world takes no goal, got "${p.positionals[0]}"`);
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const int = { integer: true, min: 1 };
  const memory = oneOf(p, 'memory', MEMORY_MODES, 'read-write');
  const world = new TextWorld(num(p, 'world-seed', 1, { integer: true, min: 0 }), {
    layout: 'open',
    rooms: num(p, 'rooms', 5, { integer: true, min: 3, max: 8 }),
    keyMovesEvery: num(p, 'key-moves-every', 3, int),
  });
  const quiet = p.values.quiet === true || p.values.json === true;
  const choose = oneOf(p, 'choose', ['reply', 'likelihood'] as const, 'reply');
  if (choose === 'likelihood' && str(p, 'endpoint'))
    throw new Error('--choose likelihood scores with a jielong checkpoint (--model), not an endpoint');
  if (choose === 'likelihood' && p.values.completions) throw new Error('--completions needs --endpoint');
  // Scoring needs the checkpoint's own parts; load them once and ask the same model.
  const local =
    choose === 'likelihood' ? loadCheckpoint(modelDir(str(p, 'model') ?? SHIPPED_MEMORY_MODEL)) : null;
  const store = MemoryStore.open(str(p, 'db') ?? ':memory:');
  const options = {
    ask: askModel(local ? jielong(local) : chooseModel(p, SHIPPED_MEMORY_MODEL), { maxOutputTokens: 48 }),
    ...(local ? { choose: likelihoodChoice(local) } : {}),
    embed: hashedEmbed(512),
    store,
    memory,
    search: p.values.search === true,
    maxSteps: num(p, 'max-steps', 20, int),
    onStep: quiet
      ? undefined
      : (s: AgentStep) => {
          if (s.step === 0) console.log(`episode ${s.episode}`);
          for (const m of s.memories) console.log(`    recalls: ${m}`);
          console.log(`  ${s.observation}`);
          for (const b of s.simulated ?? [])
            console.log(
              `    imagines "${b.actions[0]}" -> ${b.observations[0]} (value ${b.value.toFixed(2)})`,
            );
          console.log(`  > ${s.action}${s.valid ? '' : '  (not an action here)'}`);
        },
  };
  try {
    const results = [];
    for (let e = 0; e < num(p, 'episodes', 4, int); e++) {
      const r = await playEpisode(world, e, options);
      results.push(r);
      if (p.values.json) console.log(JSON.stringify(r));
      else
        console.log(
          `episode ${e}: ${r.outcome ?? 'out of steps'} in ${r.steps} steps${r.invalid ? `, ${r.invalid} invalid` : ''}`,
        );
    }
    const s = summarise(results);
    if (!p.values.json)
      console.log(
        `${memory}${options.search ? ' + search' : ''}: treasure ${(s.success * 100).toFixed(0)}%, cursed ${(s.cursed * 100).toFixed(0)}%, ${Number.isNaN(s.steps) ? '-' : s.steps.toFixed(1)} steps per treasure; ${store.all().length} memories, ${store.edges().length} facts`,
      );
  } finally {
    store.close();
  }
}
