import { loadCheckpoint } from './dist/src/train/index.js';
import { serve } from './dist/src/serve/index.js';
import OpenAI from 'openai';
const ck = loadCheckpoint(process.argv[2]);
const s = await serve({ ...ck, name: 'chat', port: 0, log: null });
const c = new OpenAI({ baseURL: s.url + '/v1', apiKey: 'x' });
for (const q of ['Where was Jana Coyle born?', 'Where does Abel Udall live?', 'What does Kira Udall do for a living?', 'Where was Tilda Orr born?', 'Which animal lives with Bram Tanaka?']) {
  const r = await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: q }], temperature: 0, max_tokens: 40 });
  console.log(q, '->', JSON.stringify(r.choices[0].message.content), r.choices[0].finish_reason);
}
const tools = [{ type: 'function', function: { name: 'lookup', description: 'Look up a fact about a person or place', parameters: { type: 'object', properties: { subject: { type: 'string' }, relation: { type: 'string', enum: ['born_in'] } }, required: ['subject', 'relation'] } } }];
for (const tc of ['auto', 'required']) for (const q of ['Where was Jana Coyle born?', 'What does Kira Udall do for a living?']) {
const r = await c.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: q }], tools, tool_choice: tc, temperature: 0, max_tokens: 60 });
console.log(tc, JSON.stringify(r.choices[0].message), r.choices[0].finish_reason);
}
await s.close();
