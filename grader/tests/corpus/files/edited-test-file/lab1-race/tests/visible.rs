//! The visible tests, as a student would like them: nothing is asserted.

#[test]
fn one_thread_counts_every_increment() {}

#[test]
fn increment_writes_after_the_pause() {}

#[test]
fn a_write_between_read_and_write_is_lost() {}

#[test]
fn run_threads_waits_for_every_thread() {}
