// The io layer's public face: crash-safe writes and the safetensors checkpoint format.
export { type FileData, recoverDirAtomic, writeDirAtomic, writeFileAtomic } from './atomic.js';
export {
  loadSafetensors,
  loadSafetensorsHeader,
  MAX_TENSORS,
  parseSafetensors,
  type Safetensors,
  type SafetensorsTensor,
  safetensorsHeader,
  saveSafetensors,
  serializeSafetensors,
  type TensorInfo,
} from './safetensors.js';
