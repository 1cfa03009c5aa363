// A file whose name starts with a dash, as an option would.
