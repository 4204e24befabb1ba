// Story filler that states no fact: it gives the model sentences to model besides the facts themselves.
// {first} is the person's first name, {subj} their pronoun (he/she), {home} the city they live in.

export const WEATHER: readonly string[] = 'sunny rainy windy foggy cold warm quiet grey'.split(' ');

export const WEEKDAYS: readonly string[] = 'Monday Tuesday Wednesday Thursday Friday Saturday Sunday'.split(
  ' ',
);

export const OPENINGS: readonly string[] = [
  'It was a {weather} {weekday} in {home}.',
  '{first} woke up early and made tea.',
  '{first} got up late and ate a quick breakfast.',
  'The {weekday} began with a cup of coffee for {first}.',
  '{first} opened the window and looked at the {weather} sky.',
];

export const CLOSINGS: readonly string[] = [
  '{first} went to bed happy.',
  'It had been a good day for {first}.',
  'That night, {subj} slept well.',
  'At the end of the day, {first} went home.',
  '{first} read for a while and then turned off the light.',
];

export const CHATS: readonly string[] = [
  'They had coffee and talked for an hour.',
  'They laughed about old times.',
  'They shared a pot of tea by the window.',
];
