// Lists the addon's C++ sources for binding.gyp: every .cc under native/src, so a new kernel file is
// built without editing the build file.
import { readdirSync } from 'node:fs';

const sources = readdirSync('native/src', { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.cc'))
  .sort()
  .map((f) => `native/src/${f}`);
console.log(sources.join(' '));
