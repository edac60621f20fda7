//! `example-pubsub`: publish/subscribe through a keyed registry with
//! duplicate keys (Elixir's `Registry` with `keys: :duplicate`).
//!
//! Each subscriber is a process that registers itself under the topics it
//! wants; a publisher dispatches a message (a term) to every entry under a
//! topic, without knowing who listens. A subscriber that exits leaves the
//! registry by itself.
//!
//! Run it with `warren run example_pubsub.wasm`; a test gives it its
//! reporter's pid as a term and gets each line as a message (tag 1).

use warren::{Pid, Registry};

/// The registry's name.
const TOPICS: &str = "topics";
/// Tag of a published message.
const TAG_NEWS: i64 = 10;
/// Tag of a subscriber's answer to the main process.
const TAG_SEEN: i64 = 11;
/// Tag that ends a subscriber.
const TAG_BYE: i64 = 12;

/// A subscriber: registers under `topics`, tells `main` it is ready, then
/// reports each message to `main` until told to stop.
fn subscriber((main, name, topics): (Pid, String, Vec<String>)) -> Result<(), String> {
    let registry = Registry::named(TOPICS);
    for topic in &topics {
        registry.register(topic.as_bytes(), name.as_bytes()).map_err(|e| e.to_string())?;
    }
    main.send(TAG_SEEN, b"ready").map_err(|e| e.to_string())?;
    loop {
        let msg = warren::receive_matching(&[TAG_NEWS, TAG_BYE], None).ok_or("no message")?;
        if msg.tag == TAG_BYE {
            return Ok(());
        }
        let (topic, text): (String, String) = msg.decode().map_err(|e| e.to_string())?;
        main.send(TAG_SEEN, format!("{name} got {topic}: {text}").as_bytes()).map_err(|e| e.to_string())?;
    }
}

#[warren::main]
fn main() -> Result<(), String> {
    let reporter = warren::term::from_slice::<Pid>(&warren::arg()).ok();
    let topics = match Registry::new(TOPICS, false) {
        Ok(topics) => topics,
        Err(warren::NameError::Taken) => Registry::named(TOPICS),
        Err(error) => return Err(error.to_string()),
    };
    let me = warren::self_pid();
    let subscribers = [("ann", vec!["news", "sports"]), ("bob", vec!["news"]), ("cy", vec!["sports"])];
    let mut pids = Vec::new();
    for (name, wants) in subscribers {
        let wants: Vec<String> = wants.into_iter().map(String::from).collect();
        pids.push(warren::spawn_fn_link(subscriber, &(me, name.to_string(), wants)).map_err(|e| e.to_string())?);
    }
    for _ in &pids {
        warren::receive_matching(&[TAG_SEEN], None);
    }
    let mut expected = 0;
    for (topic, text) in [("news", "rust 2024 ships"), ("sports", "final tonight"), ("weather", "sunny")] {
        expected += topics.dispatch_term(topic.as_bytes(), TAG_NEWS, &(topic, text)).map_err(|e| e.to_string())?;
    }
    let mut seen: Vec<String> = (0..expected)
        .filter_map(|_| warren::receive_matching(&[TAG_SEEN], None))
        .map(|msg| String::from_utf8_lossy(&msg.data).into_owned())
        .collect();
    seen.sort();
    seen.push(format!("{expected} deliveries"));
    for pid in pids {
        pid.send(TAG_BYE, b"").map_err(|e| e.to_string())?;
    }
    for line in seen {
        match reporter {
            Some(reporter) => reporter.send(1, line.as_bytes()).map_err(|e| e.to_string())?,
            None => warren::println!("{line}"),
        }
    }
    Ok(())
}
