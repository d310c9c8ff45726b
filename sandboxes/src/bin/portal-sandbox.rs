//! `portal-sandbox`: serves one imitated OPCO portal; prints its URL on the first line of stdout.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use sandboxes::{Account, Faults, Layout, Portal, SandboxConfig};

#[derive(Parser, Debug)]
#[command(about = "Serve a local imitation of an OPCO portal (one of the registered portals)")]
struct Cli {
    /// The OPCO's slug: a portal of the registry (portals/src/registry.rs)
    #[arg(long, value_parser = sandboxes::parse_portal)]
    opco: Portal,
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Directory where the state is kept between restarts.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Extra account `email:password` (repeatable); the demo account always exists.
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// Extra account `email:password` (repeatable) that the identity provider makes choose a
    /// new password at its first login.
    #[arg(long = "account-to-renew")]
    accounts_to_renew: Vec<String>,
    /// Moves filed dossiers along by themselves after this many seconds.
    #[arg(long)]
    auto_advance_secs: Option<u64>,
    #[arg(long, default_value_t = 0)]
    slow_ms: u64,
    /// The next N pages answer HTTP 500.
    #[arg(long, default_value_t = 0)]
    fail_500: u32,
    #[arg(long)]
    expire_session_at_step: Option<usize>,
    #[arg(long)]
    refuse_uploads: bool,
    #[arg(long)]
    captcha: bool,
    #[arg(long)]
    maintenance: bool,
    /// standard | changed-markup | renamed-label | new-mandatory-field
    #[arg(long, default_value = "standard", value_parser = parse_layout)]
    layout: Layout,
}

fn parse_layout(s: &str) -> Result<Layout, String> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|_| format!("unknown layout {s}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let mut accounts = vec![Account::demo()];
    for (a, renew) in cli
        .accounts
        .iter()
        .map(|a| (a, false))
        .chain(cli.accounts_to_renew.iter().map(|a| (a, true)))
    {
        let (email, password) = a
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("--account expects email:password"))?;
        accounts.push(Account {
            must_renew_password: renew,
            ..Account::new(email, password)
        });
    }
    let config = SandboxConfig {
        portal: cli.opco,
        faults: Faults {
            slow_ms: cli.slow_ms,
            http_500: cli.fail_500,
            expire_session_at_step: cli.expire_session_at_step,
            refuse_uploads: cli.refuse_uploads,
            captcha: cli.captcha,
            maintenance: cli.maintenance,
            layout: cli.layout,
            ..Faults::default()
        },
        accounts,
        state_dir: cli.state_dir,
        auto_advance: cli.auto_advance_secs.map(Duration::from_secs),
    };
    let sandbox = sandboxes::spawn_on(config, cli.addr).await?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", sandbox.url())?;
    out.flush()?;
    drop(out);
    tracing::info!(portal = %sandbox.portal(), url = sandbox.url(), idp = sandbox.idp_url().unwrap_or("none"), "Sandbox serving; Ctrl-C stops it");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
