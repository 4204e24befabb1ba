// Text that tokenizers get wrong: accents (precomposed and combining), CJK, emoji with ZWJ sequences
// and flags, newlines of both kinds, runs of spaces, a leading U+FEFF, the empty string.
export const SAMPLES: readonly string[] = [
  '',
  'hello world',
  "I'm here  now, aren't you?",
  'Crème brûlée, naïve café, e\u0301 (combining)',
  '接龍 接龙 しりとり 끝말잇기',
  '👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 👍🏽 thumbs',
  'line one\nline two\r\n\n\ttabbed\n',
  '   runs    of     spaces   ',
  '\ufeffstarts with a byte-order mark',
  'numbers 12345 3.14 ½ ٣ and symbols !@#$%^&*()',
];

/** A few sentences of English to train on, with enough repetition to make merges meaningful. */
export const TRAINING_TEXT = [
  'the cat sat on the mat and the dog sat on the log',
  'then the cat and the dog ran to the other side of the hall',
  'there the man and the woman sat and talked of the weather',
  'the weather was neither hot nor cold, and the hall was quiet',
].join('\n');
