"""Finding the arXiv paper a link-less entry names: pure matching rules (:mod:`.match`,
comparing the normalized titles and names of :mod:`.titles`), query planning
(:mod:`.queries`), and the resolution step over the queue of unresolved entries
(:mod:`.queue`), with the fallback indexes and the model assist it may use."""
