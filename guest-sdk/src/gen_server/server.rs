//! The server's side: the process's entry (run through the function
//! trampoline), its state between messages, and the handler export the
//! host calls once per message.

use super::client::{Name, NameWire};
use super::{CallReply, GenServer, Info, Init, Next, TAG_CAST, TAG_TIMEOUT, exit_reason, from_reason};
use crate::behaviour_slot::{Serve, Slot};
use crate::links::ExitReason;
use crate::timer::TimerRef;
use crate::{Message, Pid, Reason, ReplyTo, exit, sys};
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use warren_term::{self as term, Term};

/// The export the host calls for each message of a server.
pub(super) const HANDLER_EXPORT: &str = "__warren_gen_server";

/// The request of the starter's call, which the new server answers once
/// `init` has returned (not a term: only the starter sends it).
pub(crate) const START_REQUEST: &[u8] = b"$warren_gen_server_start";

/// The atom of the answer to a call whose request does not decode:
/// `{warren_bad_request, <<"why">>}`.
const BAD_REQUEST: &str = "warren_bad_request";

/// What a start's call gets back from the new process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StartReply {
    /// `ok`: `init` returned [`Init::Ok`].
    Ok,
    /// `ignore`: `init` returned [`Init::Ignore`].
    Ignore,
    /// `{error, Kind, Detail}`: `init` stopped, or the name could not be
    /// registered, with this reason.
    Failed(ExitReason),
    /// `{already_started, Pid}`: the name is held by that process.
    AlreadyStarted(Pid),
}

impl StartReply {
    fn to_term(&self) -> Term {
        match self {
            StartReply::Ok => Term::atom("ok"),
            StartReply::Ignore => Term::atom("ignore"),
            StartReply::Failed(reason) => Term::tuple([
                Term::atom("error"),
                Term::Integer(reason.kind().into()),
                Term::binary(reason.detail().to_vec()),
            ]),
            StartReply::AlreadyStarted(pid) => Term::tuple([Term::atom("already_started"), Term::Pid((*pid).into())]),
        }
    }

    /// The answer's bytes.
    pub(crate) fn encode(&self) -> Vec<u8> {
        // Atoms, small integers, binaries and a local pid always encode.
        term::encode(&self.to_term()).unwrap_or_default()
    }

    /// The answer in `bytes`, if it is one.
    pub(crate) fn decode(bytes: &[u8]) -> Option<StartReply> {
        let answer = term::decode(bytes).ok()?;
        if answer.is_atom("ok") {
            return Some(StartReply::Ok);
        }
        if answer.is_atom("ignore") {
            return Some(StartReply::Ignore);
        }
        match answer.as_tuple()? {
            [tag, kind, detail] if tag.is_atom("error") => {
                let kind = i32::try_from(kind.as_i64()?).ok()?;
                Some(StartReply::Failed(ExitReason::from_parts(kind, detail.as_binary()?)))
            }
            [tag, Term::Pid(pid)] if tag.is_atom("already_started") => {
                Some(StartReply::AlreadyStarted(Pid::try_from(pid).ok()?))
            }
            _ => None,
        }
    }
}

/// The answer to a call whose request is not a `Self::Call`.
pub(crate) fn bad_request(why: &str) -> Vec<u8> {
    term::encode(&Term::tuple([Term::atom(BAD_REQUEST), Term::string(why)])).unwrap_or_default()
}

/// The reason in a bad-request answer, if `bytes` is one.
pub(crate) fn bad_request_reason(bytes: &[u8]) -> Option<String> {
    let answer = term::decode(bytes).ok()?;
    match answer.as_tuple()? {
        [tag, why] if tag.is_atom(BAD_REQUEST) => Some(String::from(why.as_str()?)),
        _ => None,
    }
}

/// The process's server between messages.
static SERVER: Slot = Slot::new();

/// The handler of every server: the host calls it once per message (see
/// the module's docs of [`crate::gen_server`]). Not for calling.
#[unsafe(no_mangle)]
pub extern "C" fn __warren_gen_server() -> i32 {
    SERVER.serve_current(HANDLER_EXPORT, "server")
}

/// A running server: the user's state and what the SDK keeps beside it.
struct Server<G: GenServer> {
    state: G,
    /// The process that started it (see the module docs: "The parent").
    parent: Option<Pid>,
    /// Its registered name, for `get_status`.
    name: Option<String>,
    me: Pid,
    /// The pending idle timeout and its generation (the payload of its
    /// message, so a timeout that fired after being cancelled is known).
    timer: Option<(TimerRef, u64)>,
    generation: u64,
    /// The last callback asked to hibernate.
    hibernating: bool,
}

impl<G: GenServer> Serve for Server<G> {
    fn serve(&mut self, msg: Message) -> i32 {
        match msg.tag {
            sys::TAG_SYSTEM => {
                if let Some(request) = msg.as_system_request() {
                    let _ = request.answer(G::BEHAVIOUR, &self.state, self.name.as_deref());
                }
                return self.stay();
            }
            TAG_TIMEOUT if msg.sender == self.me => {
                let live = matches!(self.timer, Some((_, generation)) if msg.data == generation.to_le_bytes());
                if !live {
                    // A timeout cancelled too late to stop its message.
                    return self.stay();
                }
                self.timer = None;
                let next = self.state.handle_info(Info::Timeout);
                return self.after(next);
            }
            _ => {}
        }
        // Any other message ends the idle timeout, as in OTP.
        if let Some((timer, _)) = self.timer.take() {
            crate::cancel_timer(timer);
        }
        let next = match msg.tag {
            sys::TAG_CALL => return self.call(msg),
            TAG_CAST => match term::from_slice::<G::Cast>(&msg.data) {
                Ok(cast) => self.state.handle_cast(cast),
                Err(_) => self.state.handle_info(Info::Message(msg)),
            },
            sys::TAG_EXIT => match msg.as_exit() {
                Some(exit) if self.is_parent_stop(&exit) => self.stop(&exit.reason, None),
                Some(exit) => self.state.handle_info(Info::Exit(exit)),
                None => self.state.handle_info(Info::Message(msg)),
            },
            sys::TAG_DOWN => match msg.as_down() {
                Some(down) => self.state.handle_info(Info::Down(down)),
                None => self.state.handle_info(Info::Message(msg)),
            },
            _ => self.state.handle_info(Info::Message(msg)),
        };
        self.after(next)
    }
}

impl<G: GenServer> Server<G> {
    /// After a message no callback saw (a system request, a stale
    /// timeout): as before it, hibernating again if it was.
    fn stay(&mut self) -> i32 {
        if self.hibernating {
            let _ = crate::hibernate();
        }
        0
    }

    /// Whether exit signal `exit` is the parent's order to stop.
    fn is_parent_stop(&self, exit: &crate::Exit) -> bool {
        match self.parent {
            Some(parent) => exit.from == parent,
            // Spawned by the host, which stops what it started with
            // `shutdown`.
            None => matches!(exit.reason, ExitReason::Shutdown(_)),
        }
    }

    fn call(&mut self, msg: Message) -> i32 {
        let Some(token) = msg.call_token() else {
            let next = self.state.handle_info(Info::Message(msg));
            return self.after(next);
        };
        let reply_to = ReplyTo { caller: msg.sender, token };
        // The request's body follows its token.
        let call = match term::from_slice::<G::Call>(&msg.data[8..]) {
            Ok(call) => call,
            Err(error) => {
                let why = format!("the request is not a {}: {error}", core::any::type_name::<G::Call>());
                let _ = reply_to.reply(&bad_request(&why));
                return self.after(Next::Idle);
            }
        };
        match self.state.handle_call(call, reply_to) {
            CallReply::Reply(reply, next) => {
                // The reply is written where the request was.
                let mut bytes = msg.data;
                bytes.clear();
                if let Err(error) = term::to_vec_into(&reply, &mut bytes) {
                    let why = format!("gen_server: the reply cannot be encoded as a term: {error}");
                    self.stop(&ExitReason::Custom(why.into_bytes()), None)
                }
                if let Next::Stop(reason) = &next {
                    self.stop(&from_reason(reason), Some((reply_to, &bytes)));
                }
                let _ = reply_to.reply(&bytes);
                self.after(next)
            }
            CallReply::NoReply(next) => self.after(next),
        }
    }

    /// Does what `next` says; returns the handler's code (always 0: a
    /// server that stops exits here).
    fn after(&mut self, mut next: Next<G::Continue>) -> i32 {
        self.hibernating = false;
        loop {
            match next {
                Next::Idle => return 0,
                Next::Timeout(ms) => {
                    self.generation = self.generation.wrapping_add(1);
                    match crate::send_after(self.me, TAG_TIMEOUT, &self.generation.to_le_bytes(), ms) {
                        Ok(timer) => self.timer = Some((timer, self.generation)),
                        Err(error) => {
                            let why = format!("gen_server: the idle timeout could not be set: {error}");
                            self.stop(&ExitReason::Custom(why.into_bytes()), None)
                        }
                    }
                    return 0;
                }
                Next::Hibernate => {
                    self.hibernating = true;
                    // A refusal only means the process idles with its
                    // instance.
                    let _ = crate::hibernate();
                    return 0;
                }
                Next::Continue(cont) => next = self.state.handle_continue(cont),
                Next::Stop(reason) => self.stop(&from_reason(&reason), None),
            }
        }
    }

    /// Stops: `terminate`, then the reply (if any), then the exit.
    fn stop(&mut self, reason: &ExitReason, reply: Option<(ReplyTo, &[u8])>) -> ! {
        self.state.terminate(reason);
        if let Some((to, bytes)) = reply {
            let _ = to.reply(bytes);
        }
        exit(exit_reason(reason))
    }
}

/// Waits for the starter's call (sent right after the spawn), watching
/// the starter: if it dies first nobody waits for this server, which then
/// ends. Only the starter knows the new pid before this returns (the name
/// is registered after); a call from anyone else that comes first is
/// answered as a bad request.
pub(crate) fn take_start_call(starter: Pid) -> ReplyTo {
    let watch = crate::monitor(starter).ok();
    loop {
        let Some(msg) = crate::receive_matching(&[sys::TAG_CALL, sys::TAG_DOWN], None) else { continue };
        if msg.tag == sys::TAG_DOWN {
            if msg.as_down().is_some_and(|down| Some(down.monitor) == watch) {
                exit(Reason::Normal)
            }
            continue;
        }
        let Some(request) = msg.as_call() else { continue };
        if msg.sender == starter && request.body == START_REQUEST {
            if let Some(watch) = watch {
                crate::demonitor(watch, true);
            }
            return request.reply_to;
        }
        let _ = request.reply_to.reply(&bad_request("the server has not started yet"));
    }
}

/// Registers `name` for this process; the holder if it is taken.
pub(crate) fn register(name: &Name, me: Pid) -> Result<(), StartReply> {
    let result = match name {
        Name::Local(name) => crate::register(name, me),
        Name::Via { registry, key } => crate::Registry::named(registry).register(key, b""),
    };
    match result {
        Ok(()) => Ok(()),
        Err(crate::NameError::Taken) | Err(crate::NameError::AlreadyNamed) => match name.whereis() {
            Some(holder) if holder != me => Err(StartReply::AlreadyStarted(holder)),
            _ => Err(StartReply::Failed(ExitReason::Custom(format!("cannot register {name:?}: taken").into_bytes()))),
        },
        Err(error) => {
            Err(StartReply::Failed(ExitReason::Custom(format!("cannot register {name:?}: {error}").into_bytes())))
        }
    }
}

/// The argument of a server's process: its starter (none under a
/// supervisor), its name, and `init`'s argument.
pub(crate) type StartArg<A> = (Option<Pid>, NameWire, A);

/// The entry of a server's process (run by the function trampoline).
pub(super) fn run<G: GenServer>(start: StartArg<G::Arg>) {
    let (starter, name, arg) = start;
    let me = crate::self_pid();
    let start_call = starter.map(take_start_call);
    // The start's outcome, to the starter if there is one. On a failure the
    // server unlinks first, so a linked starter gets the outcome, not an
    // exit signal.
    let answer = |reply: StartReply| {
        if reply != StartReply::Ok
            && let Some(starter) = starter
        {
            let _ = starter.unlink();
        }
        if let Some(to) = start_call {
            let _ = to.reply(&reply.encode());
        }
    };
    let name = Name::from_wire(name);
    if let Some(name) = &name
        && let Err(reply) = register(name, me)
    {
        let reason = match &reply {
            StartReply::Failed(reason) => exit_reason(reason),
            _ => Reason::Normal,
        };
        answer(reply);
        exit(reason)
    }
    let (state, next) = match G::init(arg) {
        Init::Ok(_, Next::Stop(reason)) | Init::Stop(reason) => {
            answer(StartReply::Failed(from_reason(&reason)));
            exit(reason)
        }
        Init::Ignore => {
            answer(StartReply::Ignore);
            // Under a supervisor: it keeps the spec with no process and
            // does not restart it, as OTP's does.
            crate::init_ignore();
            exit(Reason::Normal)
        }
        Init::Ok(state, next) => (state, next),
    };
    if let Err(error) = crate::set_handler(HANDLER_EXPORT) {
        let reason = ExitReason::Custom(format!("{HANDLER_EXPORT}: set_handler failed: {error}").into_bytes());
        answer(StartReply::Failed(reason.clone()));
        exit(exit_reason(&reason))
    }
    let registered = match &name {
        Some(Name::Local(name)) => Some(name.clone()),
        _ => None,
    };
    // Its parent: the starter, or the supervisor that spawned it.
    let parent = starter.or_else(crate::parent);
    let mut server =
        Server::<G> { state, parent, name: registered, me, timer: None, generation: 0, hibernating: false };
    answer(StartReply::Ok);
    crate::init_ack();
    server.after(next);
    SERVER.install(Box::new(server));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_replies_round_trip() {
        let pid = Pid::from_raw((3 << 28) | 9);
        for reply in [
            StartReply::Ok,
            StartReply::Ignore,
            StartReply::Failed(ExitReason::Custom(b"bad config".to_vec())),
            StartReply::Failed(ExitReason::Shutdown(Vec::new())),
            StartReply::AlreadyStarted(pid),
        ] {
            assert_eq!(StartReply::decode(&reply.encode()), Some(reply));
        }
        assert_eq!(StartReply::decode(b"not a term"), None);
        assert_eq!(StartReply::decode(&term::encode(&Term::atom("maybe")).unwrap()), None);
    }

    #[test]
    fn bad_requests_carry_their_reason() {
        assert_eq!(bad_request_reason(&bad_request("no")).as_deref(), Some("no"));
        assert_eq!(bad_request_reason(&term::encode(&Term::atom("ok")).unwrap()), None);
    }
}
