// The io layer's public face: crash-safe writes, the safetensors checkpoint format and GGUF (llama.cpp).

export { type FileData, recoverDirAtomic, writeDirAtomic, writeFileAtomic } from './atomic.js';
export { type Dtype, encodeFloats, type FloatDtype, floatToHalf } from './dtypes.js';
export {
  GGUF_DEFAULT_ALIGNMENT,
  type GGUFHeader,
  type GGUFTensorInfo,
  isGGUF,
  readGGUFHeader,
  readGGUFTensor,
  readGGUFTensors,
} from './gguf.js';
export {
  byteSize,
  dequantize,
  GGML_TYPES,
  type GGMLType,
  type GGMLTypeName,
  ggmlType,
  quantize,
} from './gguf-quants.js';
export {
  GGUF_VALUE_TYPES,
  type GGUFMetadata,
  type GGUFScalar,
  type GGUFScalarType,
  type GGUFValue,
  gguf,
  MetadataReader,
} from './gguf-values.js';
export { type GGUFTensorOut, serializeGGUF, writeGGUF } from './gguf-write.js';
export {
  loadSafetensors,
  loadSafetensorsHeader,
  MAX_TENSORS,
  parseSafetensors,
  type Safetensors,
  SafetensorsFile,
  type SafetensorsTensor,
  safetensorsHeader,
  safetensorsPieces,
  saveSafetensors,
  serializeSafetensors,
  type TensorInfo,
  type TensorOut,
} from './safetensors.js';
