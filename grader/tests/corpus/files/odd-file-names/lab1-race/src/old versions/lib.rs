// An old attempt, in a folder whose name has a space.
fn main() {}
