//! Processes from functions (feature `serde`): spawn a Rust function with a
//! serde argument, without an export per function.
//!
//! Every guest that links this crate exports one entry,
//! [`SPAWN_FN_EXPORT`] (`__warren_spawn_fn`, wasm type `() -> ()`). A
//! process spawned on it reads its spawn argument, finds the function to
//! run there, decodes the function's argument and calls it:
//!
//! ```text
//! [magic: "WFN1"][invoker: u32 LE][function: u32 LE][argument: ETF term]
//! ```
//!
//! `function` is the value of the `fn(A) -> R` pointer, which on wasm32 is
//! the function's index in the module's function table; `invoker` is the
//! index of this crate's `invoke::<A, R>`, monomorphized for the argument's
//! type, which decodes the term as an `A` and calls `function` with it. Both
//! indices mean something only in the module that wrote them (the child is
//! a fresh instance of the same module, so the table is the same): the
//! layout is private to the Rust SDK, not part of the ABI. A process of
//! another module, or one that spawns the export with bytes of its own,
//! gets a child that exits with a reason naming the malformed argument, or
//! traps (an index that is out of the table, or of another type, traps in
//! wasm's `call_indirect`); it cannot reach anything but that child.
//!
//! What the function returns decides how the process ends (see
//! [`ExitValue`]): `()` ends it normally, `Err(e)` with `e`'s text as its
//! reason. With feature `std`, a panic ends the process with the panic
//! message as its reason (see [`install_panic_hook`](crate::install_panic_hook)).
//!
//! ```ignore
//! fn worker(job: (String, u32)) {
//!     let (name, rounds) = job;
//!     // ...
//! }
//!
//! let pid = warren::spawn_fn(worker, &("resize".to_string(), 3))?;
//! let (pid, monitor) = warren::spawn_fn_monitor(worker, &("crop".to_string(), 1))?;
//! ```

use crate::links::MonitorRef;
use crate::{Error, Pid, Reason, SpawnOptions, exit};
use alloc::string::ToString;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term as term;

/// The export every guest linking the SDK has: the entry of processes made
/// by [`spawn_fn`] and friends (its argument: [`spawn_fn_arg`]).
pub const SPAWN_FN_EXPORT: &str = "__warren_spawn_fn";

/// The first 4 bytes of a [`SPAWN_FN_EXPORT`] argument.
const MAGIC: &[u8; 4] = b"WFN1";

/// Bytes before the argument's term.
const HEADER_LEN: usize = 12;

/// How a process made from a function ends, after the function returns.
///
/// ```ignore
/// fn job(n: u32) -> Result<(), String> {
///     if n == 0 { return Err("nothing to do".into()); } // exit reason "nothing to do"
///     Ok(()) // exits normally
/// }
/// let pid = warren::spawn_fn(job, &0)?;
/// ```
pub trait ExitValue {
    /// Ends the calling process as this value says (or returns, for a
    /// normal end).
    fn finish(self);
}

/// `()`: the process ends normally.
impl ExitValue for () {
    fn finish(self) {}
}

/// `Ok(())` ends the process normally, `Err(e)` with the custom reason
/// `e.to_string()`.
impl<E: fmt::Display> ExitValue for Result<(), E> {
    fn finish(self) {
        if let Err(error) = self {
            exit(Reason::Custom(error.to_string().into_bytes()))
        }
    }
}

/// A [`Reason`] is the process's exit reason.
impl ExitValue for Reason {
    fn finish(self) {
        exit(self)
    }
}

/// Why [`spawn_fn`] and friends made no process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpawnFnError {
    /// The argument has no term encoding (see [`crate::term`]).
    Encode(term::Error),
    /// The host refused the spawn ([`Error::NotPermitted`],
    /// [`Error::Limit`], ...).
    Spawn(Error),
}

impl fmt::Display for SpawnFnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnFnError::Encode(error) => write!(f, "the argument cannot be encoded as a term: {error}"),
            SpawnFnError::Spawn(error) => write!(f, "the spawn failed: {error}"),
        }
    }
}

impl core::error::Error for SpawnFnError {}

/// A function pointer as the `u32` a spawn argument holds: its index in
/// the module's function table on wasm32.
fn table_index(address: usize) -> Result<u32, Error> {
    u32::try_from(address).map_err(|_| Error::BadArg)
}

/// The spawn argument of export [`SPAWN_FN_EXPORT`] that runs
/// `function(arg)` (the layout is in this module's docs). For a child spec
/// or [`crate::spawn_opts`] of this module; [`spawn_fn`] writes it itself.
///
/// ```ignore
/// fn worker(n: u64) { /* ... */ }
/// let arg = warren::spawn_fn_arg(worker, &7)?;
/// let pid = warren::spawn(warren::SPAWN_FN_EXPORT, &arg)?;
/// ```
pub fn spawn_fn_arg<A, R>(function: fn(A) -> R, arg: &A) -> Result<Vec<u8>, SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: ExitValue,
{
    let mut bytes = header(function).map_err(SpawnFnError::Spawn)?.to_vec();
    bytes.extend_from_slice(&term::to_vec(arg).map_err(SpawnFnError::Encode)?);
    Ok(bytes)
}

/// The header of a [`SPAWN_FN_EXPORT`] argument that runs `function`: the
/// magic and the two table indices; the argument's term follows it. For
/// callers that serialize a value of the same term shape as `A` without
/// owning an `A` (a tuple of references, say).
pub(crate) fn header<A: DeserializeOwned, R: ExitValue>(function: fn(A) -> R) -> Result<[u8; HEADER_LEN], Error> {
    let invoker: fn(usize, &[u8]) = invoke::<A, R>;
    let mut header = [0; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4..8].copy_from_slice(&table_index(invoker as usize)?.to_le_bytes());
    header[8..].copy_from_slice(&table_index(function as usize)?.to_le_bytes());
    Ok(header)
}

/// Runs `function` (a `fn(A) -> R` as an address) with the argument
/// decoded from `arg`, then ends the process as its result says.
fn invoke<A: DeserializeOwned, R: ExitValue>(function: usize, arg: &[u8]) {
    // SAFETY: `function` was written by `spawn_fn_arg` in this module next
    // to the index of this very instantiation `invoke::<A, R>`, so it is the
    // table index of a `fn(A) -> R` (fn pointers are table indices on
    // wasm32, and a child runs the same module, so the same table). Bytes
    // forged by another process could name any index: wasm's
    // `call_indirect` checks the index and the function's type and traps
    // the child otherwise; a function of the same wasm type only runs in
    // the child, which the forger could have spawned on any export anyway.
    let function: fn(A) -> R = unsafe { core::mem::transmute::<usize, fn(A) -> R>(function) };
    match term::from_slice::<A>(arg) {
        Ok(value) => function(value).finish(),
        Err(error) => exit(Reason::Custom(
            alloc::format!("{SPAWN_FN_EXPORT}: the argument is not a {}: {error}", core::any::type_name::<A>())
                .into_bytes(),
        )),
    }
}

/// The entry of every process made by [`spawn_fn`] and friends (see the
/// module's docs). Not for calling: the host calls it.
#[unsafe(no_mangle)]
pub extern "C" fn __warren_spawn_fn() {
    crate::panic::install_panic_hook();
    run_spawn_arg(&crate::arg());
}

/// Runs the function a [`SPAWN_FN_EXPORT`] argument names (the layout is
/// in the module's docs), then ends the process as its result says; a
/// malformed argument ends it with a reason that says so. Also for
/// processes that carry such an argument inside another (the tasks of a
/// task supervisor).
pub(crate) fn run_spawn_arg(arg: &[u8]) {
    let header = arg.get(..HEADER_LEN).and_then(|header| {
        let (magic, indices) = header.split_first_chunk::<4>()?;
        let invoker = u32::from_le_bytes(indices.get(..4)?.try_into().ok()?);
        let function = u32::from_le_bytes(indices.get(4..8)?.try_into().ok()?);
        (magic == MAGIC).then_some((invoker, function))
    });
    let Some((invoker, function)) = header else {
        exit(Reason::Custom(alloc::format!("{SPAWN_FN_EXPORT}: malformed argument (no spawn_fn header)").into_bytes()))
    };
    // SAFETY: `invoker` is the index of an `invoke::<A, R>` written by
    // `spawn_fn_arg` of this module (see `invoke`'s SAFETY for forged
    // bytes: `call_indirect` checks index and type, and traps otherwise).
    let invoker: fn(usize, &[u8]) = unsafe { core::mem::transmute::<usize, fn(usize, &[u8])>(invoker as usize) };
    invoker(function as usize, &arg[HEADER_LEN..]);
}

/// Spawns a process that runs `function(arg)`: the argument travels as a
/// term (serde) and is decoded in the child, a fresh instance of this
/// module. No export per function: every process starts on
/// [`SPAWN_FN_EXPORT`].
///
/// Errors: [`SpawnFnError::Encode`] if `arg` has no term encoding,
/// [`SpawnFnError::Spawn`] as [`crate::spawn`].
///
/// ```ignore
/// fn greeter(name: String) {
///     let _ = name; // ...
/// }
/// let pid = warren::spawn_fn(greeter, &"world".to_string())?;
/// ```
pub fn spawn_fn<A, R>(function: fn(A) -> R, arg: &A) -> Result<Pid, SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: ExitValue,
{
    spawn_fn_opts(function, arg, &SpawnOptions::new(), false, false).map(|(pid, _)| pid)
}

/// [`spawn_fn`], atomically linked to the caller (Erlang's `spawn_link`).
///
/// ```ignore
/// fn worker(n: u32) { assert!(n > 0); }
/// warren::trap_exit(true);
/// let pid = warren::spawn_fn_link(worker, &0)?; // an EXIT message comes with the panic's text
/// ```
pub fn spawn_fn_link<A, R>(function: fn(A) -> R, arg: &A) -> Result<Pid, SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: ExitValue,
{
    spawn_fn_opts(function, arg, &SpawnOptions::new(), true, false).map(|(pid, _)| pid)
}

/// [`spawn_fn`], atomically monitored by the caller (Erlang's
/// `spawn_monitor`).
///
/// ```ignore
/// fn worker(n: u32) { /* ... */ }
/// let (pid, monitor) = warren::spawn_fn_monitor(worker, &3)?;
/// let down = warren::receive_matching(&[warren::sys::TAG_DOWN], None).and_then(|m| m.as_down());
/// ```
pub fn spawn_fn_monitor<A, R>(function: fn(A) -> R, arg: &A) -> Result<(Pid, MonitorRef), SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: ExitValue,
{
    let (pid, monitor) = spawn_fn_opts(function, arg, &SpawnOptions::new(), false, true)?;
    Ok((pid, monitor.unwrap_or(MonitorRef::from_raw(0))))
}

/// [`spawn_fn`] with spawn options (the child's limits and capabilities,
/// narrowed), linked if `link`, monitored if `monitor` (the reference is
/// returned then), as [`crate::spawn_opts`].
///
/// ```ignore
/// fn worker(n: u32) { /* ... */ }
/// let options = warren::SpawnOptions::new().max_memory(1 << 20).deny_spawn();
/// let (pid, _) = warren::spawn_fn_opts(worker, &1, &options, true, false)?;
/// ```
pub fn spawn_fn_opts<A, R>(
    function: fn(A) -> R,
    arg: &A,
    options: &SpawnOptions,
    link: bool,
    monitor: bool,
) -> Result<(Pid, Option<MonitorRef>), SpawnFnError>
where
    A: Serialize + DeserializeOwned,
    R: ExitValue,
{
    let bytes = spawn_fn_arg(function, arg)?;
    crate::spawn_opts("", SPAWN_FN_EXPORT, &bytes, options, link, monitor).map_err(SpawnFnError::Spawn)
}

/// Runs a `#[warren::main]` entry without an argument. Not public API: the
/// macro's expansion calls it.
#[doc(hidden)]
pub fn run_main<R: ExitValue>(main: fn() -> R) {
    crate::panic::install_panic_hook();
    main().finish();
}

/// Runs a `#[warren::main]` entry whose parameter is the spawn argument as
/// a term. Not public API: the macro's expansion calls it.
#[doc(hidden)]
pub fn run_main_with<A: DeserializeOwned, R: ExitValue>(main: fn(A) -> R) {
    crate::panic::install_panic_hook();
    let arg = crate::arg();
    match term::from_slice::<A>(&arg) {
        Ok(value) => main(value).finish(),
        Err(error) => exit(Reason::Custom(
            alloc::format!("main: the spawn argument is not a {}: {error}", core::any::type_name::<A>()).into_bytes(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn job(pair: (String, u32)) -> Result<(), String> {
        if pair.1 == 0 { Err(pair.0) } else { Ok(()) }
    }

    #[test]
    fn the_argument_is_magic_two_indices_and_a_term() {
        // Natively, fn pointers are addresses: they fit a u32 only on
        // wasm32, where they are table indices.
        match spawn_fn_arg(job, &(String::from("a"), 1)) {
            Ok(bytes) => {
                assert_eq!(&bytes[..4], MAGIC);
                let (name, n): (String, u32) = term::from_slice(&bytes[HEADER_LEN..]).unwrap();
                assert_eq!((name.as_str(), n), ("a", 1));
            }
            Err(error) => assert_eq!(error, SpawnFnError::Spawn(Error::BadArg)),
        }
    }

    #[test]
    fn errors_say_what_failed() {
        let error = SpawnFnError::Spawn(Error::NotPermitted);
        assert_eq!(error.to_string(), "the spawn failed: not permitted (ERR_NOT_PERMITTED)");
        let encode = term::to_vec(&f64::NAN).unwrap_err();
        assert!(SpawnFnError::Encode(encode).to_string().starts_with("the argument cannot be encoded"));
    }
}
