// A hidden file.
