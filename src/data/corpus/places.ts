// Invented countries, cities and languages, so the world's facts never agree or clash with real geography
// a reader (or a pretrained model) already knows. Language names are unrelated to country names on
// purpose: a model must learn which country speaks what, not derive it from spelling.

export const COUNTRY_NAMES: readonly string[] =
  'Aldoria Brenmoor Calvoria Drossia Marovia Norland Ostmark Pelagon Quellia Suvania Tirena Vesteria'.split(
    ' ',
  );

export const LANGUAGE_NAMES: readonly string[] =
  'Ambric Belorin Calish Dunic Eskaran Frellic Gothan Halvic Istran Jorvic Kelmic Lusan'.split(' ');

export const CITY_NAMES: readonly string[] = (
  'Amberley Ashford Blackmoor Brightwater Cliffside Coldharbor Deepdale Dovecote Eastwick Elmstead ' +
  'Fallowmere Foxholm Glenrock Greyhaven Hartwell Highcliff Ironvale Ivyford Kingsreach Lakemont ' +
  'Larkspur Marbleton Millbrook Netherby Northgate Oakshore Oldcastle Pinecrest Portaster Queensport ' +
  'Redfield Rivermouth Saltmarsh Stonebridge Thornbury Umberton Valewood Westhollow Yarrowby Zephyrine'
).split(' ');
