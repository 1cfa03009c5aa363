// A file inside a folder whose name ends in .rs.
