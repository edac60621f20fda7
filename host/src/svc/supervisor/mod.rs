//! Supervisors: processes the host itself runs (no wasm instance), with
//! Erlang/OTP 25's `supervisor` semantics: restart strategies, restart
//! intensity, ordered start and shutdown, dynamic children and
//! `auto_shutdown`.

pub(crate) mod spec;
