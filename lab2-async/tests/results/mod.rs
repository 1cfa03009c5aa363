//! Comparing a lab function's results with the expected ones, shared by the tests of Lab 2:
//! the same results in another order get their own message.

/// Asserts that `results` are `expected`, in the same order, and otherwise names the mistake:
/// the right results in another order (they must come back in input order), or results
/// missing, extra or wrong (then `advice` says where to look, and the message shows the first
/// result that differs, got and expected).
#[track_caller]
pub fn assert_results<T, U>(results: &[T], expected: &[U], advice: &str)
where
    T: PartialEq<U> + std::fmt::Debug,
    U: std::fmt::Debug,
{
    if results == expected {
        return;
    }
    if is_reordering(results, expected) {
        panic!(
            "every result is there, but in another order: results must come back in input \
             order, whatever order they finish in. Keep each result with its index and put \
             them back in that order (`buffer_unordered` yields in finishing order), or await \
             the futures or task handles in input order (`join_all`)\n  got:      {results:?}\n  \
             expected: {expected:?}"
        );
    }
    let count = if results.len() == expected.len() {
        String::new()
    } else {
        format!("{} results for {} inputs: ", results.len(), expected.len())
    };
    panic!(
        "{count}{advice}\n  {}\n  got:      {results:?}\n  expected: {expected:?}",
        first_difference(results, expected)
    );
}

/// Where `results` and `expected` first differ: the position and both results there, or the
/// first one only one of them has.
fn first_difference<T, U>(results: &[T], expected: &[U]) -> String
where
    T: PartialEq<U> + std::fmt::Debug,
    U: std::fmt::Debug,
{
    let at = results
        .iter()
        .zip(expected)
        .position(|(result, wanted)| result != wanted)
        .unwrap_or(results.len().min(expected.len()));
    match (results.get(at), expected.get(at)) {
        (Some(_), Some(wanted)) if !results.iter().any(|result| result == wanted) => {
            format!("result {at} is missing: expected {wanted:?}, which no result is")
        }
        (Some(result), Some(wanted)) => {
            format!("the first that differs is result {at}: got {result:?}, expected {wanted:?}")
        }
        (Some(result), None) => format!("result {at} is one too many: {result:?}"),
        (None, Some(wanted)) => format!("result {at} is missing: expected {wanted:?}"),
        (None, None) => String::new(),
    }
}

/// Whether `results` hold exactly the items of `expected`, each as many times, in another
/// order.
fn is_reordering<T: PartialEq<U>, U>(results: &[T], expected: &[U]) -> bool {
    let mut unmatched: Vec<&U> = expected.iter().collect();
    results.len() == expected.len()
        && results.iter().all(|result| {
            let found = unmatched.iter().position(|item| result == *item);
            found.map(|at| unmatched.swap_remove(at)).is_some()
        })
}
