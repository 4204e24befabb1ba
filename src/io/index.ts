// The io layer's public face: crash-safe writes and the safetensors checkpoint format.
export { type FileData, writeDirAtomic, writeFileAtomic } from './atomic.js';
export {
  loadSafetensors,
  parseSafetensors,
  type Safetensors,
  type SafetensorsTensor,
  saveSafetensors,
  serializeSafetensors,
} from './safetensors.js';
