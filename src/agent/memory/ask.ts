// How the memory modules put a question to a model: one user turn, the reply's text. Any AI SDK model
// answers (a jielong model, an endpoint's); greedy, so the same memories give the same decisions.
import { generateText, type LanguageModel } from 'ai';

export type Ask = (question: string) => Promise<string>;

export function askModel(model: LanguageModel, options: { maxOutputTokens?: number } = {}): Ask {
  return async (question) => {
    const { text } = await generateText({
      model,
      messages: [{ role: 'user', content: question }],
      temperature: 0,
      maxOutputTokens: options.maxOutputTokens ?? 96,
      maxRetries: 0,
    });
    return text;
  };
}
