// Invented-sounding first and last names, all ASCII so a character-level model keeps a small vocabulary.

export type Gender = 'female' | 'male';

export const FEMALE_FIRST_NAMES: readonly string[] = (
  'Ada Alma Bea Cora Dina Edith Elsa Faye Greta Hana Ines Iris Jana Kira Lena ' +
  'Lidia Maud Mina Nell Nora Olga Petra Rosa Sara Tilda Uma Vera Wren Yara Zoe'
).split(' ');

export const MALE_FIRST_NAMES: readonly string[] = (
  'Abel Arlo Basil Bram Caspar Cyril Dario Dmitri Emil Ezra Felix Gus Hugo Ivo Jonas ' +
  'Karl Leo Milo Nico Otto Pablo Quinn Rafe Silas Theo Ugo Viktor Wim Yusuf Zane'
).split(' ');

export const LAST_NAMES: readonly string[] = (
  'Abara Ashby Berg Bishop Brandt Castell Coyle Crane Drummond Dunmore Ekholm Ellery Eze Farrow Fenn ' +
  'Fitch Gallo Gault Grady Haddad Holt Hume Ibarra Ingram Ivers Jansen Juul Keel Kerr Kowal ' +
  'Lazaro Lin Lowe Lund Marsh Mercer Moss Mwangi Nakamura Novak Okafor Orr Ostrow Pellam Pike ' +
  'Pryce Quist Rahman Rourke Sandoval Sato Tanaka Thorne Udall Vance Varga Wexley Whitlock Yoon Zeller'
).split(' ');
