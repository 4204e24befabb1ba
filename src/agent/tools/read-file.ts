// Reading files, confined to one folder: a path that leaves it (.., an absolute path, a symbolic link
// pointing out) is refused, and so is a file too large to show a model.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { tool } from 'ai';
import { z } from 'zod';

export function readFileTool(root: string, maxBytes = 64 * 1024) {
  const base = realpathSync(root);
  return tool({
    description: `Read a UTF-8 text file (paths relative to the agent's folder)`,
    inputSchema: z.object({ path: z.string() }),
    execute: async ({ path }) => {
      if (isAbsolute(path)) throw new Error(`read_file: ${path} is absolute; give a path inside the folder`);
      let real: string;
      try {
        real = realpathSync(join(base, path));
      } catch {
        throw new Error(`read_file: ${path} does not exist`);
      }
      const inside = relative(base, real);
      if (inside.startsWith('..') || isAbsolute(inside))
        throw new Error(`read_file: ${path} is outside the folder`);
      const size = statSync(real).size;
      if (!statSync(real).isFile()) throw new Error(`read_file: ${path} is not a file`);
      if (size > maxBytes) throw new Error(`read_file: ${path} has ${size} bytes, more than ${maxBytes}`);
      return readFileSync(real, 'utf8');
    },
  });
}
