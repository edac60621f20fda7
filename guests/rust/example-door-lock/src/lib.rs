//! `example-door-lock`: a door lock as a state machine (gen_statem style).
//!
//! Locked until the right code is pressed, digit by digit (casts); a wrong
//! code clears the buffer; once open, it locks again by itself after a
//! state timeout; every state change is logged by its enter call. Anyone
//! may ask its state (a call).
//!
//! Run it with `warren run example_door_lock.wasm`; a test gives it its
//! reporter's pid as a term and gets each line as a message (tag 1).

use serde::{Deserialize, Serialize};
use warren::Pid;
use warren::gen_server::StartOptions;
use warren::state_machine::{self, Action, Event, InitResult, StateMachine, Transition};

/// The door.
pub struct Door;

/// Its states.
#[derive(Clone, Debug, PartialEq)]
pub enum DoorState {
    /// Locked: digits count.
    Locked,
    /// Open, until the state timeout.
    Open,
}

/// Its data.
#[derive(Debug)]
pub struct DoorData {
    code: Vec<u8>,
    pressed: Vec<u8>,
    open_ms: u64,
    reporter: Option<Pid>,
}

impl DoorData {
    fn say(&self, line: &str) {
        match self.reporter {
            Some(reporter) => {
                let _ = reporter.send(1, line.as_bytes());
            }
            None => warren::println!("{line}"),
        }
    }
}

/// A button.
#[derive(Serialize, Deserialize, Debug)]
pub enum Button {
    /// A digit.
    Digit(u8),
}

/// A question.
#[derive(Serialize, Deserialize, Debug)]
pub enum Ask {
    /// Is it open?
    IsOpen,
}

impl StateMachine for Door {
    type State = DoorState;
    type Data = DoorData;
    type Arg = (Vec<u8>, u64, Option<Pid>);
    type Call = Ask;
    type Reply = bool;
    type Cast = Button;
    type Timeout = ();
    type Internal = ();
    const STATE_ENTER: bool = true;

    fn init((code, open_ms, reporter): Self::Arg) -> InitResult<Self> {
        InitResult::Ok(DoorState::Locked, DoorData { code, pressed: Vec::new(), open_ms, reporter }, vec![])
    }

    fn handle_event(event: &Event<Self>, state: &DoorState, data: &mut DoorData) -> Transition<Self> {
        match (event, state) {
            (Event::Enter(_), DoorState::Open) => {
                data.say("door: open");
                Transition::keep().with(Action::StateTimeout(data.open_ms, ()))
            }
            (Event::Enter(_), DoorState::Locked) => {
                data.say("door: locked");
                Transition::keep()
            }
            (Event::Cast(Button::Digit(d)), DoorState::Locked) => {
                data.pressed.push(*d);
                if data.pressed.len() < data.code.len() {
                    return Transition::keep();
                }
                let right = data.pressed == data.code;
                data.pressed.clear();
                if right {
                    Transition::next(DoorState::Open)
                } else {
                    data.say("door: wrong code");
                    Transition::keep()
                }
            }
            (Event::StateTimeout(()), DoorState::Open) => Transition::next(DoorState::Locked),
            (Event::Call(Ask::IsOpen, from), _) => {
                Transition::keep().with(Action::Reply(*from, *state == DoorState::Open))
            }
            _ => Transition::keep(),
        }
    }
}

#[warren::main]
fn main() -> Result<(), String> {
    let reporter = warren::term::from_slice::<Pid>(&warren::arg()).ok();
    let door = state_machine::start_link::<Door>(&(vec![4, 2], 50, reporter), &StartOptions::new().name("door"))
        .map_err(|e| e.to_string())?;
    let press = |d: u8| state_machine::cast::<Door>("door", &Button::Digit(d)).map_err(|e| e.to_string());
    let is_open = || state_machine::call::<Door>(door, &Ask::IsOpen, Some(5_000)).map_err(|e| e.to_string());
    press(1)?;
    press(2)?;
    let after_wrong = is_open()?;
    press(4)?;
    press(2)?;
    let after_right = is_open()?;
    warren::sleep(150);
    let later = is_open()?;
    let line =
        format!("open after a wrong code: {after_wrong}, after the right one: {after_right}, 150 ms later: {later}");
    match reporter {
        Some(reporter) => reporter.send(1, line.as_bytes()).map_err(|e| e.to_string())?,
        None => warren::println!("{line}"),
    }
    Ok(())
}
