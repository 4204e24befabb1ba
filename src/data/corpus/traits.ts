// Professions (each with something its holder does at work, for stories), hobbies and pets.
// Activities avoid every entity name and relation word, so a story's work sentence states no fact.

export interface ProfessionEntry {
  name: string;
  /** Past-tense clause: "At work, she <activity>." */
  activity: string;
}

export const PROFESSIONS: readonly ProfessionEntry[] = [
  { name: 'architect', activity: 'drew plans for a new bridge' },
  { name: 'astronomer', activity: 'watched the stars through a telescope' },
  { name: 'baker', activity: 'baked bread before sunrise' },
  { name: 'banker', activity: 'counted coins behind a long desk' },
  { name: 'carpenter', activity: 'built a wooden table' },
  { name: 'chef', activity: 'cooked soup for a full restaurant' },
  { name: 'dentist', activity: 'cleaned teeth all morning' },
  { name: 'doctor', activity: 'saw patients at the clinic' },
  { name: 'engineer', activity: 'fixed a broken pump' },
  { name: 'farmer', activity: 'picked apples in the orchard' },
  { name: 'journalist', activity: 'wrote an article for the paper' },
  { name: 'lawyer', activity: 'argued a case in court' },
  { name: 'librarian', activity: 'sorted a pile of returned books' },
  { name: 'mechanic', activity: 'repaired an old truck' },
  { name: 'musician', activity: 'played the violin at a concert' },
  { name: 'nurse', activity: 'looked after patients on the ward' },
  { name: 'pharmacist', activity: 'mixed medicine for a long queue' },
  { name: 'pilot', activity: 'flew a plane across the sea' },
  { name: 'sailor', activity: 'steered a boat along the coast' },
  { name: 'tailor', activity: 'sewed a blue coat' },
  { name: 'teacher', activity: 'taught a class of noisy children' },
];

export const HOBBIES: readonly string[] = (
  'archery birdwatching chess climbing cycling dancing fishing gardening ' +
  'hiking juggling knitting photography pottery reading rowing singing swimming'
).split(' ');

export const PET_SPECIES: readonly string[] =
  'cat dog ferret goldfish hamster lizard owl parrot rabbit tortoise'.split(' ');
