//! Paths of Warren's test guests, compiled to wasm by this crate's build
//! script (see `build.rs`).
//!
//! One `pub const NAME: &str` per guest holds the absolute path of its
//! `.wasm` file:
//!
//! * each Rust guest of `guests/rust` (built with
//!   `cargo build --release --target wasm32-unknown-unknown`) under its
//!   package name in shouting case: `sdk-pingpong` is [`SDK_PINGPONG`];
//! * each `guests/c/NAME.c` (built with clang for wasm32) as `C_NAME`;
//! * each Zig guest `guests/zig/NAME.zig` (built with zig for
//!   wasm32-freestanding) as `ZIG_NAME`, and `ZIG_ECHO_WASI` (wasm32-wasi);
//! * each AssemblyScript guest `guests/assemblyscript/{examples,tests}/NAME.ts`
//!   (built with the locked `asc`) as `AS_NAME`.
//!
//! [`ALL`] lists every guest as `(constant name, path)`.

include!(concat!(env!("OUT_DIR"), "/artifacts.rs"));
