// `jielong COMMAND [options]`: one file per command in this folder, this file only dispatches.
import { agentCommand } from './agent.js';
import { chatCommand } from './chat.js';
import { demo } from './demo.js';
import { editCommand } from './edit.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { generateCommand } from './generate.js';
import { importCommand } from './import.js';
import { info } from './info.js';
import { lensCommand } from './lens.js';
import { mcpCommand } from './mcp.js';
import { memoryCommand } from './memory.js';
import { mergeCommand } from './merge.js';
import { plotCommand } from './plot.js';
import { serveCommand } from './serve.js';
import { trainCommand } from './train.js';

interface Command {
  summary: string;
  run(args: string[]): Promise<void> | void;
}

const commands: Record<string, Command> = {
  demo: { summary: 'train a small GPT on the built-in corpus, then watch it write', run: demo },
  train: {
    summary: 'train or fine-tune a language model (checkpoints, resume, Ctrl-C safe)',
    run: trainCommand,
  },
  generate: { summary: 'write text from a checkpoint, token by token', run: generateCommand },
  chat: { summary: 'talk to a chat model in the terminal (/reset, /system, /probs)', run: chatCommand },
  agent: {
    summary: 'give a model a goal and tools, and watch it act (jielong agent trace FILE reads a run)',
    run: agentCommand,
  },
  memory: {
    summary:
      "an agent's memory store: write, read (READ's score), search, history, the graph's facts in time",
    run: memoryCommand,
  },
  mcp: { summary: "jielong's tools as an MCP server over stdio", run: mcpCommand },
  serve: { summary: 'an OpenAI-compatible HTTP server (continuous batching)', run: serveCommand },
  eval: { summary: 'validation loss and perplexity of a checkpoint', run: evalCommand },
  lens: {
    summary: 'look inside a model: logit and tuned lens, patching, ablation, steering, probes',
    run: lensCommand,
  },
  plot: { summary: 'draw the loss curves of a training run as SVG', run: plotCommand },
  edit: { summary: 'rewrite facts in the weights by ROME or MEMIT (CounterFact measures)', run: editCommand },
  merge: {
    summary: 'merge models by a mergekit YAML recipe (TIES, DARE, SLERP, ...), tensor by tensor',
    run: mergeCommand,
  },
  export: { summary: 'write a checkpoint in another format (Hugging Face)', run: exportCommand },
  import: { summary: 'read a model in another format (Hugging Face) as a checkpoint', run: importCommand },
  info: { summary: 'show the backend, threads and native addon status', run: info },
};

function usage(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return [
    'usage: jielong <command> [options]',
    '',
    'commands:',
    ...rows,
    '',
    'jielong <command> --help for its options',
  ].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return;
  }
  const command = commands[name];
  if (!command) {
    console.error(`jielong: unknown command "${name}"\n\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  await command.run(args);
}

main(process.argv.slice(2)).catch((e: Error) => {
  console.error(`jielong: ${e.message}`);
  process.exitCode = 1;
});
