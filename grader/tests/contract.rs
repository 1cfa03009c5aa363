//! The stub/reference contract ([`grader::class::self_check`]), as `grader self-check` checks it:
//! every lab's stub fails every expected test on `not yet implemented`, and every lab's
//! reference passes every one, loom models included.

mod common;

#[test]
fn every_reference_passes_and_every_stub_fails_on_not_yet_implemented() {
    let contract = grader::class::self_check::check(&common::grader(), |_| {}, |_| {}).unwrap();
    assert!(
        contract.broken.is_empty(),
        "the stub/reference contract is broken:\n{}",
        contract.broken.join("\n")
    );
    assert!(contract.references.max_score > 0.0);
    assert_eq!(contract.references.score, contract.references.max_score);
    assert_eq!(contract.stubs.score, 0.0);
}
