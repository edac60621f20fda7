//! `busy`: a process that never blocks, for fairness tests.
//!
//! `main` (entry): loops forever doing arithmetic (a linear congruential
//! generator behind `black_box`, so it is not optimized away). Imports
//! nothing and sends nothing; it only ends when killed or out of fuel.

use core::hint::black_box;

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let mut x: u64 = black_box(1);
    loop {
        x = black_box(
            x.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
}
