// `jielong chat`: talk to a chat model in the terminal, its reply streamed token by token. The
// conversation is rendered with the model's own chat template each turn; /probs shows the dice.
import { createInterface } from 'node:readline';
import { setNumThreads } from '../backend/index.js';
import { chatTemplateFor, type Message } from '../chat/index.js';
import { type GenerationStep, generate } from '../generate/index.js';
import { loadCheckpoint } from '../train/index.js';
import { num, parse, str } from './args.js';
import { modelDir } from './model-path.js';
import { SAMPLING_OPTIONS, SAMPLING_USAGE, samplingOptions } from './sampling-flags.js';

const USAGE = `usage: jielong chat --model DIR [options]

Chats with a model fine-tuned for chat (jielong train --sft ...). Type a message and press Enter.

  --model DIR              checkpoint folder with a chat template (tokenizer_config.json)
  --no-verify              load a folder without checkpoint.json
  --system TEXT            system message to start with
${SAMPLING_USAGE}
  --threads N

commands in the chat:
  /reset          forget the conversation (the system message stays)
  /system TEXT    set the system message (empty: none) and start over
  /probs [K]      toggle showing, for each token of the reply, the K most likely tokens (default 5)
  /quit           leave (also Ctrl-D)`;

const OPTIONS = {
  model: { type: 'string' },
  system: { type: 'string' },
  ...SAMPLING_OPTIONS,
  threads: { type: 'string' },
  'no-verify': { type: 'boolean' },
} as const;

const show = (text: string) => JSON.stringify(text).slice(1, -1);

/** The dice of one step: the token taken and the most likely others. */
function diceLine(step: GenerationStep): string {
  const choices = (step.topK ?? []).map((a) => `"${show(a.text)}" ${(100 * a.prob).toFixed(1)}%`).join('  ');
  return `  "${show(step.text)}" p=${step.prob.toFixed(2)} | ${choices}`;
}

export async function chatCommand(args: string[]): Promise<void> {
  const p = parse(args, OPTIONS, USAGE);
  if (!p) return;
  if (str(p, 'threads')) setNumThreads(num(p, 'threads', 1, { integer: true, min: 1 }));
  const sampling = samplingOptions(p);
  const dir = modelDir(str(p, 'model'));
  const { model, tokenizer, tokenizerConfig } = loadCheckpoint(dir, { verify: !p.values['no-verify'] });
  const template = chatTemplateFor(tokenizerConfig, dir);
  const stop = template.eos ? [template.eos] : [];

  let system = str(p, 'system') ?? '';
  let history: Message[] = [];
  let probs = 0;
  let turn = 0;
  const out = process.stdout;
  const interactive = process.stdin.isTTY === true;
  if (interactive) out.write(`chatting with ${dir} (/quit to leave, --help for commands)\n`);

  /** The prompt for the history, dropping the oldest turns until it leaves room for a reply. */
  const prompt = (): string => {
    for (;;) {
      const messages: Message[] = system ? [{ role: 'system', content: system }, ...history] : history;
      const text = template.render(messages);
      const room = model.config.blockSize - tokenizer.encode(text).length;
      if (room >= Math.min(32, model.config.blockSize / 4) || history.length <= 1) return text;
      history = history.slice(2);
    }
  };

  const reply = async (): Promise<void> => {
    let text = '';
    const dice: string[] = [];
    out.write('assistant: ');
    for await (const step of generate(model, tokenizer, prompt(), {
      ...sampling,
      seed: (sampling.seed ?? 0) + turn++,
      stop,
      showTopK: probs,
    })) {
      text += step.text;
      out.write(step.text);
      if (probs) dice.push(diceLine(step));
    }
    out.write('\n');
    if (dice.length) out.write(`${dice.join('\n')}\n`);
    history.push({ role: 'assistant', content: text.trim() });
  };

  const lines = createInterface({ input: process.stdin, terminal: interactive });
  if (interactive) lines.setPrompt('you: ');
  lines.prompt();
  for await (const line of lines) {
    const [command, ...rest] = line.trim().split(' ');
    if (command === '/quit') break;
    if (command === '/reset') {
      history = [];
      out.write('(conversation cleared)\n');
    } else if (command === '/system') {
      system = rest.join(' ');
      history = [];
      out.write(system ? `(system: ${system})\n` : '(no system message)\n');
    } else if (command === '/probs') {
      probs = probs ? 0 : num({ values: { k: rest[0] }, positionals: [] }, 'k', 5, { integer: true, min: 1 });
      out.write(probs ? `(showing the ${probs} most likely tokens at each step)\n` : '(probabilities off)\n');
    } else if (command.startsWith('/')) {
      out.write(`unknown command ${command} (/reset, /system TEXT, /probs [K], /quit)\n`);
    } else if (line.trim()) {
      history.push({ role: 'user', content: line.trim() });
      await reply();
    }
    lines.prompt();
  }
  lines.close();
}
