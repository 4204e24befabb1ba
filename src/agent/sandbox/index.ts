// Running code the agent wrote: QuickJS in WebAssembly in a worker thread, with limits.
export { Sandbox, type SandboxLimits, type SandboxResult } from './sandbox.js';
