// POST /v1/embeddings: the mean of the final residual stream (after the last norm) over the input's
// tokens, scaled to unit length as OpenAI's embeddings are, so a dot product is a cosine similarity.
import type { ServerResponse } from 'node:http';
import type { LanguageModel } from '../model/index.js';
import { IntTensor, noGrad } from '../tensor/index.js';
import { checkModel, type Outcome, promptList, type ServeContext } from './context.js';
import { ApiError, parseBody } from './errors.js';
import { sendJSON } from './http.js';
import { EMBEDDING_REQUEST } from './schemas.js';

export function embed(model: LanguageModel, ids: readonly number[]): Float32Array {
  const dim = model.config.nEmbd;
  const resid = noGrad(() => model.residual(new IntTensor(Int32Array.from(ids), [1, ids.length])));
  const out = new Float32Array(dim);
  for (let t = 0; t < ids.length; t++) for (let d = 0; d < dim; d++) out[d] += resid.data[t * dim + d];
  const norm = Math.hypot(...out) || 1;
  return out.map((v) => v / norm);
}

export function embeddings(ctx: ServeContext, raw: unknown, res: ServerResponse): Outcome {
  const body = parseBody(EMBEDDING_REQUEST, raw);
  checkModel(ctx, body.model);
  const dim = ctx.model.config.nEmbd;
  if (body.dimensions != null && body.dimensions !== dim)
    throw new ApiError(
      400,
      `dimensions: this model's embeddings have ${dim}, got ${body.dimensions}`,
      'invalid_request_error',
      'dimensions',
    );
  const { ids: encoded } = promptList(ctx, body.input, 'input', 0);
  const tokens = encoded.reduce((a, ids) => a + ids.length, 0);
  sendJSON(res, 200, {
    object: 'list',
    model: ctx.name,
    data: encoded.map((ids, index) => {
      const v = embed(ctx.model, ids);
      // base64 is what the official client asks for by default: the float32 bytes, little-endian.
      const embedding =
        body.encoding_format === 'base64'
          ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
          : [...v];
      return { object: 'embedding', index, embedding };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
  return { promptTokens: tokens };
}
