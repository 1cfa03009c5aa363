// Notes to self, in a file whose name has a space.
