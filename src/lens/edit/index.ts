// Model editing (issue 15): ROME and MEMIT, and their evaluation as CounterFact defines it.
export {
  answerLogProb,
  type CounterfactCase,
  counterfactCases,
  type EditScores,
  evaluateEdits,
  ngramEntropy,
  subjectEntropy,
} from './counterfact.js';
export {
  applyEdits,
  DEFAULT_CONTEXTS,
  EDIT_METHODS,
  type EditMethod,
  type EditSetup,
  prepareEdits,
} from './editor.js';
export { type EditRequest, frame, keyCovariance, keyPoint, outputMatrix, requestKeys } from './keys.js';
export { type MemitOptions, memit } from './memit.js';
export { type EditResult, type RomeOptions, rankOneUpdate, regularised, rome, tracedLayer } from './rome.js';
export { activationAt, optimiseValue, teacherForced, type ValueOptions } from './value.js';
