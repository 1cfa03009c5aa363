//! A build script handed in with a submission: cargo would run it before compiling the lab,
//! as the grader's user, with the grader's files in reach. It only leaves a mark: the corpus
//! test checks that the mark never appears, so the script never ran.

fn main() {
    std::fs::write("/tmp/grader-corpus-build-script-ran", "a submission's build script ran\n")
        .expect("cannot leave the mark");
}
