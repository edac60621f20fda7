//! The ABI's binary forms of supervisor specs, requests and replies
//! (docs/ABI.md, "Supervisors", gives them byte by byte). Little-endian
//! throughout; lengths are `u32`; nothing is aligned, so a guest writes a
//! spec with plain stores or a data segment.

use super::logic::{Op, Reply};
use super::spec::{
    AutoShutdown, ChildInfo, ChildRef, ChildSpec, ChildStart, Restart, Shutdown, Strategy, SupervisorError,
    SupervisorFlags, SupervisorSpec,
};
use crate::base::codes::*;
use crate::base::options::SpawnOptions;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use std::time::Duration;

/// Deepest nesting of supervisor specs one spec may hold (a guest's spec
/// must not recurse the host's stack away).
pub(crate) const MAX_DEPTH: usize = 32;

/// Why bytes are not a valid spec or request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(pub(crate) String);

type Result<T> = std::result::Result<T, Malformed>;

fn malformed<T>(what: impl Into<String>) -> Result<T> {
    Err(Malformed(what.into()))
}

/// Reads a byte string front to back.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return malformed(format!("{what}: {n} bytes needed, {} left", self.bytes.len()));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let bytes = self.take(4, what)?;
        Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let bytes = self.take(8, what)?;
        let mut word = [0u8; 8];
        word.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(word))
    }

    /// A `u32` length, then that many bytes.
    fn counted(&mut self, what: &str) -> Result<&'a [u8]> {
        let len = self.u32(what)? as usize;
        self.take(len, what)
    }

    fn text(&mut self, what: &str) -> Result<String> {
        let bytes = self.counted(what)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_string()),
            Err(_) => malformed(format!("{what} is not UTF-8")),
        }
    }

    fn end(&self, what: &str) -> Result<()> {
        if self.bytes.is_empty() { Ok(()) } else { malformed(format!("{} bytes after the {what}", self.bytes.len())) }
    }
}

fn millis(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms))
}

fn none_or(value: u32) -> Option<u32> {
    (i64::from(value) != SPEC_NONE).then_some(value)
}

/// Decodes a supervisor spec: a 20-byte header, then its child records.
pub(crate) fn decode_spec(bytes: &[u8]) -> Result<SupervisorSpec> {
    let mut reader = Reader { bytes };
    let spec = spec(&mut reader, 0)?;
    reader.end("supervisor spec")?;
    Ok(spec)
}

fn spec(reader: &mut Reader<'_>, depth: usize) -> Result<SupervisorSpec> {
    if depth > MAX_DEPTH {
        return malformed(format!("supervisor specs nested deeper than {MAX_DEPTH}"));
    }
    let strategy = match i32::from(reader.u8("strategy")?) {
        STRATEGY_ONE_FOR_ONE => Strategy::OneForOne,
        STRATEGY_ONE_FOR_ALL => Strategy::OneForAll,
        STRATEGY_REST_FOR_ONE => Strategy::RestForOne,
        STRATEGY_SIMPLE_ONE_FOR_ONE => Strategy::SimpleOneForOne,
        other => return malformed(format!("strategy {other} is not one of 0..=3")),
    };
    let auto_shutdown = match i32::from(reader.u8("auto_shutdown")?) {
        AUTO_SHUTDOWN_NEVER => AutoShutdown::Never,
        AUTO_SHUTDOWN_ANY_SIGNIFICANT => AutoShutdown::AnySignificant,
        AUTO_SHUTDOWN_ALL_SIGNIFICANT => AutoShutdown::AllSignificant,
        other => return malformed(format!("auto_shutdown {other} is not one of 0..=2")),
    };
    if reader.take(2, "reserved")? != [0, 0] {
        return malformed("the reserved bytes of a spec header are not zero");
    }
    let intensity = reader.u32("intensity")?;
    let period = millis(reader.u32("period")?);
    let max_children = none_or(reader.u32("max_children")?);
    let count = reader.u32("child count")?;
    let flags = SupervisorFlags { strategy, intensity, period, auto_shutdown, max_children };
    // Each record takes at least its length field: a count beyond what the
    // bytes can hold is refused before anything is allocated for it.
    if count as usize > reader.bytes.len() / 4 {
        return malformed(format!("{count} children do not fit in {} bytes", reader.bytes.len()));
    }
    let mut children = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let record = reader.counted("child record")?;
        let mut child_reader = Reader { bytes: record };
        children.push(child(&mut child_reader, depth)?);
        child_reader.end("child record")?;
    }
    Ok(SupervisorSpec { flags, children })
}

/// Decodes one child record (without its length field).
pub(crate) fn decode_child(bytes: &[u8]) -> Result<ChildSpec> {
    let mut reader = Reader { bytes };
    let child = child(&mut reader, 0)?;
    reader.end("child record")?;
    Ok(child)
}

fn child(reader: &mut Reader<'_>, depth: usize) -> Result<ChildSpec> {
    let restart = match i32::from(reader.u8("restart")?) {
        RESTART_PERMANENT => Restart::Permanent,
        RESTART_TRANSIENT => Restart::Transient,
        RESTART_TEMPORARY => Restart::Temporary,
        other => return malformed(format!("restart {other} is not one of 0..=2")),
    };
    let kind = i32::from(reader.u8("type")?);
    let significant = match reader.u8("significant")? {
        0 => false,
        1 => true,
        other => return malformed(format!("significant {other} is not 0 or 1")),
    };
    let shutdown_kind = i32::from(reader.u8("shutdown")?);
    let shutdown_ms = reader.u32("shutdown timeout")?;
    let shutdown = match shutdown_kind {
        SHUTDOWN_TIMEOUT => Shutdown::Timeout(millis(shutdown_ms)),
        SHUTDOWN_BRUTAL_KILL => Shutdown::BrutalKill,
        SHUTDOWN_INFINITY => Shutdown::Infinity,
        other => return malformed(format!("shutdown {other} is not one of 0..=2")),
    };
    let ack_timeout = none_or(reader.u32("ack timeout")?).map(millis);
    let id = reader.text("id")?;
    let start = match kind {
        CHILD_WORKER => {
            let module = reader.text("module")?;
            let entry = reader.text("entry")?;
            let arg = reader.counted("argument")?.to_vec();
            ChildStart::Worker { module, entry, arg }
        }
        CHILD_SUPERVISOR => {
            let nested = reader.counted("nested spec")?;
            let mut nested_reader = Reader { bytes: nested };
            let spec = spec(&mut nested_reader, depth + 1)?;
            nested_reader.end("nested spec")?;
            ChildStart::Supervisor(Box::new(spec))
        }
        other => return malformed(format!("child type {other} is not 0 (worker) or 1 (supervisor)")),
    };
    let options = options(reader.counted("options")?)?;
    Ok(ChildSpec { id, start, restart, shutdown, significant, ack_timeout, options })
}

fn options(bytes: &[u8]) -> Result<SpawnOptions> {
    SpawnOptions::decode(bytes).map_err(|e| Malformed(format!("options: {e}")))
}

// ------------------------------------------------------------ encoding

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_counted(out: &mut Vec<u8>, bytes: &[u8]) {
    put_u32(out, u32::try_from(bytes.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(bytes);
}

fn put_millis(out: &mut Vec<u8>, duration: Duration) {
    // Longer than the format holds: the longest it holds (49 days).
    put_u32(out, u32::try_from(duration.as_millis()).unwrap_or(u32::MAX - 1).min(u32::MAX - 1));
}

/// Encodes a supervisor spec (the inverse of [`decode_spec`]).
pub(crate) fn encode_spec(spec: &SupervisorSpec) -> Vec<u8> {
    let mut out = Vec::new();
    let flags = &spec.flags;
    out.push(match flags.strategy {
        Strategy::OneForOne => STRATEGY_ONE_FOR_ONE,
        Strategy::OneForAll => STRATEGY_ONE_FOR_ALL,
        Strategy::RestForOne => STRATEGY_REST_FOR_ONE,
        Strategy::SimpleOneForOne => STRATEGY_SIMPLE_ONE_FOR_ONE,
    } as u8);
    out.push(match flags.auto_shutdown {
        AutoShutdown::Never => AUTO_SHUTDOWN_NEVER,
        AutoShutdown::AnySignificant => AUTO_SHUTDOWN_ANY_SIGNIFICANT,
        AutoShutdown::AllSignificant => AUTO_SHUTDOWN_ALL_SIGNIFICANT,
    } as u8);
    out.extend_from_slice(&[0, 0]);
    put_u32(&mut out, flags.intensity);
    put_millis(&mut out, flags.period);
    put_u32(&mut out, flags.max_children.map_or(SPEC_NONE as u32, |max| max.min(SPEC_NONE as u32 - 1)));
    put_u32(&mut out, u32::try_from(spec.children.len()).unwrap_or(u32::MAX));
    for child in &spec.children {
        put_counted(&mut out, &encode_child(child));
    }
    out
}

/// Encodes one child record, without its length field (the inverse of
/// [`decode_child`]).
pub(crate) fn encode_child(child: &ChildSpec) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(match child.restart {
        Restart::Permanent => RESTART_PERMANENT,
        Restart::Transient => RESTART_TRANSIENT,
        Restart::Temporary => RESTART_TEMPORARY,
    } as u8);
    out.push(if child.is_supervisor() { CHILD_SUPERVISOR } else { CHILD_WORKER } as u8);
    out.push(u8::from(child.significant));
    let (kind, after) = match child.shutdown {
        Shutdown::Timeout(after) => (SHUTDOWN_TIMEOUT, after),
        Shutdown::BrutalKill => (SHUTDOWN_BRUTAL_KILL, Duration::ZERO),
        Shutdown::Infinity => (SHUTDOWN_INFINITY, Duration::ZERO),
    };
    out.push(kind as u8);
    put_millis(&mut out, after);
    match child.ack_timeout {
        Some(after) => put_millis(&mut out, after),
        None => put_u32(&mut out, SPEC_NONE as u32),
    }
    put_counted(&mut out, child.id.as_bytes());
    match &child.start {
        ChildStart::Worker { module, entry, arg } => {
            put_counted(&mut out, module.as_bytes());
            put_counted(&mut out, entry.as_bytes());
            put_counted(&mut out, arg);
        }
        ChildStart::Supervisor(spec) => put_counted(&mut out, &encode_spec(spec)),
    }
    put_counted(&mut out, &child.options.encode());
    out
}

// ------------------------------------------------------------ requests

/// Decodes the arguments of operation `op` (a `SUP_*` code) for a
/// supervisor that is `dynamic` or not.
pub(crate) fn decode_op(op: i32, arg: &[u8], dynamic: bool) -> Result<Op> {
    let id = || match std::str::from_utf8(arg) {
        Ok(id) => Ok(id.to_string()),
        Err(_) => malformed("a child id is not UTF-8"),
    };
    Ok(match op {
        SUP_START_CHILD if dynamic => Op::StartDynamic(arg.to_vec()),
        SUP_START_CHILD => Op::StartChild(Box::new(decode_child(arg)?)),
        SUP_TERMINATE_CHILD if dynamic => {
            let mut reader = Reader { bytes: arg };
            let raw = reader.u64("pid")?;
            reader.end("pid")?;
            match Pid::from_raw(raw) {
                Some(pid) => Op::Terminate(ChildRef::Pid(pid)),
                None => return malformed(format!("{raw} is not a pid")),
            }
        }
        SUP_TERMINATE_CHILD => Op::Terminate(ChildRef::Id(id()?)),
        SUP_RESTART_CHILD => Op::Restart(id()?),
        SUP_DELETE_CHILD => Op::Delete(id()?),
        SUP_WHICH_CHILDREN => Op::WhichChildren,
        SUP_COUNT_CHILDREN => Op::CountChildren,
        other => return malformed(format!("operation {other} is not one of 1..=6")),
    })
}

/// Encodes an operation's arguments (the inverse of [`decode_op`]):
/// `(op code, bytes)`.
pub(crate) fn encode_op(op: &Op) -> (i32, Vec<u8>) {
    match op {
        Op::StartChild(spec) => (SUP_START_CHILD, encode_child(spec)),
        Op::StartDynamic(arg) => (SUP_START_CHILD, arg.clone()),
        Op::Terminate(ChildRef::Id(id)) => (SUP_TERMINATE_CHILD, id.as_bytes().to_vec()),
        Op::Terminate(ChildRef::Pid(pid)) => (SUP_TERMINATE_CHILD, pid.raw().to_le_bytes().to_vec()),
        Op::Restart(id) => (SUP_RESTART_CHILD, id.as_bytes().to_vec()),
        Op::Delete(id) => (SUP_DELETE_CHILD, id.as_bytes().to_vec()),
        Op::WhichChildren => (SUP_WHICH_CHILDREN, Vec::new()),
        Op::CountChildren => (SUP_COUNT_CHILDREN, Vec::new()),
    }
}

/// The payload of a request message: `[request id: u64][op: i32][bytes]`.
pub(crate) fn request_payload(request: u64, op: i32, arg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + arg.len());
    out.extend_from_slice(&request.to_le_bytes());
    out.extend_from_slice(&op.to_le_bytes());
    out.extend_from_slice(arg);
    out
}

/// Splits a request message's payload into its id, op code and bytes.
pub(crate) fn split_request(payload: &[u8]) -> Option<(u64, i32, &[u8])> {
    let mut reader = Reader { bytes: payload };
    let request = reader.u64("request id").ok()?;
    let op = reader.u32("op").ok()?.cast_signed();
    Some((request, op, reader.bytes))
}

// ------------------------------------------------------------ replies

/// The payload of a reply: `[request id: u64][result: i64][data]`.
pub(crate) fn encode_reply(request: u64, reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&request.to_le_bytes());
    let (result, data): (i64, Vec<u8>) = match reply {
        Reply::Ok => (i64::from(OK), Vec::new()),
        Reply::Started(pid) => (pid.raw().cast_signed(), Vec::new()),
        // No pid: the child ignored its start (OTP's `{ok, undefined}`).
        Reply::Ignored => (0, Vec::new()),
        Reply::Children(children) => {
            let mut data = Vec::new();
            for child in children {
                data.extend_from_slice(&child.pid.map_or(0, Pid::raw).to_le_bytes());
                put_u32(&mut data, child.restarts);
                data.push(if child.supervisor { CHILD_SUPERVISOR } else { CHILD_WORKER } as u8);
                data.extend_from_slice(&[0, 0, 0]);
                put_counted(&mut data, child.id.as_bytes());
            }
            (children.len() as i64, data)
        }
        Reply::Counts(counts) => {
            let mut data = Vec::new();
            for value in [counts.specs, counts.active, counts.supervisors, counts.workers] {
                put_u32(&mut data, value);
            }
            (i64::from(OK), data)
        }
        Reply::Error(error) => error_reply(error),
    };
    out.extend_from_slice(&result.to_le_bytes());
    out.extend_from_slice(&data);
    out
}

/// The result code and data of a failed operation.
fn error_reply(error: &SupervisorError) -> (i64, Vec<u8>) {
    let (code, data) = match error {
        SupervisorError::NotFound => (ERR_NOT_FOUND, Vec::new()),
        SupervisorError::Running => (ERR_RUNNING, Vec::new()),
        SupervisorError::AlreadyPresent => (ERR_ALREADY_PRESENT, Vec::new()),
        SupervisorError::AlreadyStarted(pid) => (ERR_ALREADY_STARTED, pid.raw().to_le_bytes().to_vec()),
        SupervisorError::StartFailed { reason, .. } => {
            let mut data = reason.kind().to_le_bytes().to_vec();
            data.extend_from_slice(reason.detail());
            (ERR_START_FAILED, data)
        }
        SupervisorError::MaxChildren(max) => (ERR_LIMIT, max.to_le_bytes().to_vec()),
        SupervisorError::ProcessLimit(_) => (ERR_LIMIT, Vec::new()),
        SupervisorError::BadSpec(why) => (ERR_BADARG, why.as_bytes().to_vec()),
        SupervisorError::WrongKind(why) => (ERR_BADARG, why.as_bytes().to_vec()),
        SupervisorError::NoSupervisor(_) | SupervisorError::Exited(_) => (ERR_NOPROC, Vec::new()),
        // Not an error on the wire: `Reply::Ignored` (result 0).
        SupervisorError::Ignored => (0, Vec::new()),
    };
    (i64::from(code), data)
}

/// Decodes a reply's payload for the operation `op` it answers: its
/// request id and the reply. (`id` is the child id a failed start names.)
pub(crate) fn decode_reply(payload: &[u8], op: i32, id: &str) -> Option<(u64, Reply)> {
    let mut reader = Reader { bytes: payload };
    let request = reader.u64("request id").ok()?;
    let result = reader.u64("result").ok()?.cast_signed();
    let data = reader.bytes;
    if result < 0 {
        let code = i32::try_from(result).ok()?;
        let error = match code {
            ERR_NOT_FOUND => SupervisorError::NotFound,
            ERR_RUNNING => SupervisorError::Running,
            ERR_ALREADY_PRESENT => SupervisorError::AlreadyPresent,
            ERR_ALREADY_STARTED => {
                let mut reader = Reader { bytes: data };
                SupervisorError::AlreadyStarted(Pid::from_raw(reader.u64("pid").ok()?)?)
            }
            ERR_START_FAILED => {
                let mut reader = Reader { bytes: data };
                let kind = reader.u32("kind").ok()?.cast_signed();
                SupervisorError::StartFailed { id: id.to_string(), reason: ExitReason::from_kind(kind, reader.bytes) }
            }
            ERR_LIMIT => SupervisorError::MaxChildren(Reader { bytes: data }.u32("max_children").unwrap_or(0)),
            ERR_BADARG => SupervisorError::BadSpec(String::from_utf8_lossy(data).into_owned()),
            _ => SupervisorError::Exited(ExitReason::Noproc),
        };
        return Some((request, Reply::Error(error)));
    }
    let reply = match op {
        SUP_START_CHILD | SUP_RESTART_CHILD if result == 0 => Reply::Ignored,
        SUP_START_CHILD | SUP_RESTART_CHILD => Reply::Started(Pid::from_raw(result.cast_unsigned())?),
        SUP_WHICH_CHILDREN => {
            let mut reader = Reader { bytes: data };
            let mut children = Vec::new();
            for _ in 0..result {
                let pid = Pid::from_raw(reader.u64("pid").ok()?);
                let restarts = reader.u32("restarts").ok()?;
                let supervisor = i32::from(reader.u8("type").ok()?) == CHILD_SUPERVISOR;
                reader.take(3, "reserved").ok()?;
                let id = reader.text("id").ok()?;
                children.push(ChildInfo { id, pid, supervisor, restarts });
            }
            Reply::Children(children)
        }
        SUP_COUNT_CHILDREN => {
            let mut reader = Reader { bytes: data };
            let mut next = || reader.u32("count").ok();
            Reply::Counts(super::spec::ChildCounts {
                specs: next()?,
                active: next()?,
                supervisors: next()?,
                workers: next()?,
            })
        }
        _ => Reply::Ok,
    };
    Some((request, reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::options::SpawnOptions;

    fn tree() -> SupervisorSpec {
        let inner = SupervisorSpec::new(
            SupervisorFlags::default().strategy(Strategy::SimpleOneForOne).max_children(Some(7)),
            vec![ChildSpec::worker("conn", "net", "serve", b"tmpl").restart(Restart::Temporary)],
        );
        SupervisorSpec::new(
            SupervisorFlags::default()
                .strategy(Strategy::RestForOne)
                .intensity(3, Duration::from_secs(9))
                .auto_shutdown(AutoShutdown::AnySignificant),
            vec![
                ChildSpec::worker("db", "store", "main", &[0, 1, 2, 255])
                    .ack_timeout(Some(Duration::from_millis(250)))
                    .shutdown(Shutdown::BrutalKill),
                ChildSpec::supervisor("pool", inner),
                ChildSpec::worker("job", "jobs", "run", b"")
                    .restart(Restart::Transient)
                    .significant(true)
                    .shutdown(Shutdown::Timeout(Duration::from_millis(1500)))
                    .options(SpawnOptions::default().max_memory(1 << 20).deny_spawn().env("K", "V")),
            ],
        )
    }

    #[test]
    fn a_spec_round_trips() {
        let spec = tree();
        assert_eq!(decode_spec(&encode_spec(&spec)), Ok(spec));
    }

    #[test]
    fn malformed_specs_are_refused_with_the_field_named() {
        let bytes = encode_spec(&tree());
        for cut in 0..bytes.len() {
            assert!(decode_spec(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[0] = 9;
        assert!(decode_spec(&bad).unwrap_err().0.contains("strategy"));
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_spec(&trailing).unwrap_err().0.contains("after"));
        // A count no bytes can hold is refused before any allocation.
        let mut huge = bytes[..20].to_vec();
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_spec(&huge).unwrap_err().0.contains("do not fit"));
    }

    #[test]
    fn nesting_is_bounded() {
        let mut spec = SupervisorSpec::default();
        for level in 0..=MAX_DEPTH + 1 {
            spec = SupervisorSpec::new(
                SupervisorFlags::default(),
                vec![ChildSpec::supervisor(&format!("l{level}"), spec)],
            );
        }
        assert!(decode_spec(&encode_spec(&spec)).unwrap_err().0.contains("nested"));
    }

    #[test]
    fn requests_and_replies_round_trip() {
        let (op, arg) = encode_op(&Op::Terminate(ChildRef::Id("db".into())));
        let payload = request_payload(42, op, &arg);
        let (request, op, arg) = split_request(&payload).unwrap();
        assert_eq!(request, 42);
        assert!(matches!(decode_op(op, arg, false), Ok(Op::Terminate(ChildRef::Id(id))) if id == "db"));
        let pid = Pid::new(5, 3);
        let children = vec![
            ChildInfo { id: "a".into(), pid: Some(pid), supervisor: false, restarts: 2 },
            ChildInfo { id: "b".into(), pid: None, supervisor: true, restarts: 0 },
        ];
        let reply = encode_reply(7, &Reply::Children(children.clone()));
        assert_eq!(decode_reply(&reply, SUP_WHICH_CHILDREN, ""), Some((7, Reply::Children(children))));
        let failed = SupervisorError::StartFailed { id: "a".into(), reason: ExitReason::Trap("boom".into()) };
        let reply = encode_reply(8, &Reply::Error(failed.clone()));
        assert_eq!(decode_reply(&reply, SUP_START_CHILD, "a"), Some((8, Reply::Error(failed))));
        let reply = encode_reply(9, &Reply::Started(pid));
        assert_eq!(decode_reply(&reply, SUP_START_CHILD, ""), Some((9, Reply::Started(pid))));
    }
}
