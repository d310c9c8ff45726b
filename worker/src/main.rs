//! `monopco`: the one binary of the fleet.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;
use worker::app::{Application, Role, shutdown_on_signals};
use worker::settings::Settings;

/// MonOPCO Fleet: jobs for OPCO funding requests, identity checks and documents.
///
/// With no configuration at all it runs the embedded default: SQLite files under ./data, the API
/// and the workers in one process. Configuration layers: defaults, then --config FILE (TOML), then
/// MONOPCO_… environment variables (nested keys with `__`, e.g. MONOPCO_QUEUE__BACKEND=redis), then
/// flags.
#[derive(Debug, Parser)]
#[command(name = "monopco", version)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "MONOPCO_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (SQLite files, recordings, documents).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API and the workers (the embedded default runs everything in one process).
    /// Prints `monopco listening on http://ADDR` on stdout once the port is bound.
    Serve {
        /// Listen address; port 0 picks a free port.
        #[arg(long)]
        addr: Option<String>,
        /// Jobs run at once by this process; 0 serves the API only.
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Run workers only (a fleet member sharing Redis and PostgreSQL with the others).
    Work {
        /// Jobs run at once by this process.
        #[arg(long)]
        workers: Option<usize>,
    },
    /// Apply the store's migrations and exit.
    Migrate,
    /// Print the effective configuration, secrets masked.
    Config,
    /// Print the OpenAPI document of the HTTP API.
    Openapi,
    /// Read a password on standard input and print its argon2 hash for `[[review.staff]]`.
    HashPassword,
    /// Manage the encrypted client portal logins (the vault).
    Credentials {
        #[command(subcommand)]
        action: CredentialsCommand,
    },
    /// Check an identity document photo on this machine (no server needed).
    ///
    /// Exit code: 0 accepted, 1 rejected, 2 needs a human review, 3 unusable input.
    CheckId {
        /// The photo or scan (JPEG, PNG, WebP, TIFF).
        file: PathBuf,
        /// The trainee's name, in any order ("DUPONT Paul", "Paul Dupont"), or "SURNAME, Given Names".
        #[arg(long)]
        name: Option<String>,
        /// The document must still be valid on this date (YYYY-MM-DD), e.g. the end of the training.
        #[arg(long)]
        valid_until: Option<chrono::NaiveDate>,
        /// Print the verdict as JSON instead of French text.
        #[arg(long)]
        json: bool,
    },
    /// Render one document of an action, or its DPC pack, on this machine (uses Chromium).
    Render {
        /// devis, programme, convention, certificat or pack.
        what: String,
        /// The action as JSON (the `action` of a render_documents job).
        #[arg(long)]
        input: PathBuf,
        /// Where to write the PDF (or the zip, for `pack`).
        #[arg(long)]
        out: PathBuf,
        /// Fix the creation date (YYYY-MM-DD) so the same input gives the same bytes.
        #[arg(long)]
        fixed_date: Option<chrono::NaiveDate>,
    },
    /// The company of a SIRET, its collective agreements and its OPCO, from the "Recherche
    /// d'entreprises" API (through the store's cache and the fleet's shared pace).
    ///
    /// Exit code: 0 resolved to one OPCO, 1 no OPCO or refused (closed), 2 a person must choose,
    /// 3 bad input or the API unreachable after retries.
    ResolveCompany {
        /// 14 digits (spaces allowed).
        siret: String,
        /// Print the answer as JSON instead of French text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum CredentialsCommand {
    /// Re-encrypt every login under the current master key and print how many moved.
    ///
    /// To rotate: set the new key (credentials.key_file or MONOPCO_MASTER_KEY), list the old key's
    /// file in credentials.previous_key_files, run this, then remove the old key.
    Rotate,
    /// Register or replace a client company's login; the password is read from standard input
    /// (one line), e.g. `printf '%s' "$PASSWORD" | monopco credentials set atlas ADH-448812 rh@client.fr`.
    Set {
        /// OPCO slug of a portal with a script (a refused one is answered with the list).
        opco: String,
        /// The company's account id at the OPCO (a filing's company.opco_account).
        account: String,
        /// The login on the portal.
        username: String,
    },
}

fn overrides(cli: &Cli) -> Vec<(&'static str, figment::value::Value)> {
    let mut out: Vec<(&'static str, figment::value::Value)> = Vec::new();
    if let Some(dir) = &cli.data_dir {
        out.push(("data_dir", dir.display().to_string().into()));
    }
    match &cli.command {
        Command::Serve { addr, workers } => {
            if let Some(addr) = addr {
                out.push(("server.addr", addr.clone().into()));
            }
            if let Some(n) = workers {
                out.push(("workers.concurrency", (*n as u64).into()));
            }
        }
        Command::Work { workers: Some(n) } => out.push(("workers.concurrency", (*n as u64).into())),
        _ => {}
    }
    out
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::CheckId {
        file,
        name,
        valid_until,
        json,
    } = &cli.command
    {
        return worker::commands::check_id(file, name.as_deref(), *valid_until, *json);
    }
    if let Command::HashPassword = &cli.command {
        return worker::commands::hash_password();
    }
    let settings = match Settings::load(cli.config.as_deref(), overrides(&cli)) {
        Ok(s) => s,
        Err(error) => {
            eprintln!("monopco: {error}");
            return ExitCode::from(64);
        }
    };
    worker::telemetry::init(&settings.log);
    if let Command::ResolveCompany { siret, json } = &cli.command {
        return worker::commands::resolve_company(&settings, siret, *json).await;
    }
    match run(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "Stopped with an error");
            eprintln!("monopco: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { .. } => serve(settings, Role::Serve).await,
        Command::Work { .. } => {
            if settings.workers.concurrency == 0 {
                anyhow::bail!(
                    "`monopco work` with 0 workers would do nothing: set --workers to 1 or more"
                );
            }
            serve(settings, Role::Work).await
        }
        Command::Migrate => {
            worker::app::connect_store(&settings.store_url(), Vec::new()).await?;
            println!(
                "migrations applied to {}",
                worker::settings::redact_url(&settings.store_url())
            );
            Ok(())
        }
        Command::Config => {
            println!("{}", serde_json::to_string_pretty(&settings.redacted())?);
            Ok(())
        }
        Command::Openapi => {
            println!("{}", serde_json::to_string_pretty(&worker::api::openapi())?);
            Ok(())
        }
        Command::Credentials { action } => match action {
            CredentialsCommand::Rotate => worker::commands::credentials_rotate(&settings).await,
            CredentialsCommand::Set {
                opco,
                account,
                username,
            } => worker::commands::credentials_set(&settings, &opco, &account, &username).await,
        },
        Command::CheckId { .. } | Command::HashPassword => {
            unreachable!("handled before configuration is loaded")
        }
        Command::Render {
            what,
            input,
            out,
            fixed_date,
        } => worker::commands::render(&settings, &what, &input, &out, fixed_date).await,
        Command::ResolveCompany { .. } => unreachable!("handled before the other commands"),
    }
}

async fn serve(settings: Settings, role: Role) -> anyhow::Result<()> {
    let shutdown: CancellationToken = shutdown_on_signals();
    let app = Application::build(settings, role).await?;
    if let Some(addr) = app.local_addr() {
        println!("monopco listening on http://{addr}");
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    app.run(shutdown).await
}
