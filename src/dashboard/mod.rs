//! The live web dashboard of a running node (`warren run --dashboard`),
//! and its Prometheus endpoint, `/metrics`: what observer and Phoenix
//! LiveDashboard show of a BEAM node, served by the node itself over HTTP
//! (see README.md, "Production debugging").
//!
//! | module | holds |
//! | --- | --- |
//! | [`access`] | where it listens and who may ask: loopback, or an access token |
//! | [`sampler`] | the node's load, sampled once a second into a bounded ring |
//! | [`api`] | the JSON API and the event streams the pages read |
//! | [`metrics`] | `/metrics` in Prometheus text format |
//! | [`server`] | the HTTP server: routes, the access check, the built-in assets |
//!
//! Nothing here runs unless `--dashboard` is given; it reads the node only
//! through the introspection calls the control socket uses (the answers
//! are rendered by `control::respond`, the same code for both).

pub mod access;
mod api;
mod metrics;
mod sampler;
mod server;

use crate::control::respond::Responder;
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::Arc;

/// The dashboard's options of `warren run`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct DashboardArgs {
    /// Serve a live web dashboard, and Prometheus metrics at /metrics, on
    /// ADDR (`HOST:PORT` or `PORT`; put it after FILE when ADDR is left
    /// out). Its URL is printed to stderr. An address beyond loopback needs
    /// --dashboard-token. [default ADDR: 127.0.0.1:4040, or a free port if
    /// that one is taken]
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "")]
    pub dashboard: Option<String>,
    /// The access token the dashboard asks of every request (as
    /// `Authorization: Bearer TOKEN`, or `?token=TOKEN` once in the
    /// browser): 16 or more of A-Z a-z 0-9 . _ ~ -. Without TOKEN, one is
    /// generated and printed in the URL.
    #[arg(long, value_name = "TOKEN", num_args = 0..=1, default_missing_value = "", requires = "dashboard")]
    pub dashboard_token: Option<String>,
}

/// A running dashboard; dropping it stops its server and its sampler.
pub struct Dashboard {
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    _sampler: sampler::Sampler,
}

impl Dashboard {
    /// Starts the dashboard `args` ask for (none without `--dashboard`),
    /// serving the node `responder` answers for, and prints its URL to
    /// stderr. Fails, before anything is served, on an address it cannot
    /// listen on or one beyond loopback without a token.
    pub fn start(responder: Arc<Responder>, args: &DashboardArgs) -> Result<Option<Dashboard>> {
        let Some(addr) = &args.dashboard else { return Ok(None) };
        let plan = access::Plan::new(addr, args.dashboard_token.as_deref())?;
        let (listener, access) = plan.bind()?;
        let url = access.url();
        let sampler = sampler::Sampler::start(responder.node().clone())?;
        let state = server::AppState::new(responder, sampler.samples(), access);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .thread_name("warren-dashboard")
            .build()
            .context("cannot start the dashboard's runtime")?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("warren-dashboard".into())
            .spawn(move || server::serve(&runtime, listener, state, stopped))
            .context("cannot start the dashboard's thread")?;
        say_err!("warren: dashboard on {url} (Prometheus metrics at {}metrics)", access_base(&url));
        Ok(Some(Dashboard { shutdown: Some(shutdown), _sampler: sampler }))
    }
}

/// The URL without its query (where `/metrics` is).
fn access_base(url: &str) -> &str {
    url.split_once('?').map_or(url, |(base, _)| base)
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
