//! Driving a running node: its control endpoint and the CLI subcommands
//! that talk to it (see README.md, "Production debugging").
//!
//! | module | holds |
//! | --- | --- |
//! | [`protocol`] | the request and response types, one JSON line each, shared by both sides |
//! | [`dir`] | the per-user runtime directory, node names, sockets, stale-socket cleaning |
//! | [`respond`] | the answers to requests, shared by the endpoint and the dashboard |
//! | [`server`] | the endpoint `warren run` serves, one thread per connection |
//! | [`client`] | the CLI's connection to a node |
//! | [`commands`], [`top`] | the subcommands and how they print |

pub mod client;
pub mod commands;
pub mod dir;
pub mod protocol;
pub mod respond;
pub mod server;
pub mod top;
