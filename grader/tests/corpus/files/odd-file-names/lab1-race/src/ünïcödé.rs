// A file named with accents.
