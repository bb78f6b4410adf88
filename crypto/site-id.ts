// The one name of a participating hospital across the rooms: its certificate identity, as the roster lists it.

/** A participating hospital, as named on the round's roster (its certificate identity). */
export type SiteId = string;
