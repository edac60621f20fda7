//! Guests in C (guests/c, built by guests/artifacts): the conformance
//! scenario, examples (echo, a counter that serves calls and casts, a
//! worker that crashes), tables, timers, names, and the term codec of
//! warren_term.h against the Rust term crate.

use crate::common::*;
use crate::conformance::run_conformance;

/// The shared conformance scenario (tests/all/conformance.rs), in C.
#[test]
fn c_passes_the_conformance_scenario() {
    let node = node(2);
    node.load_file_as("conformance-c", std::path::Path::new(warren_test_artifacts::C_CONFORMANCE))
        .expect("the C conformance guest loads");
    run_conformance(&node, "conformance-c");
}
