//! Operator commands that work on this machine alone (`check-id`, `render`) or on the store
//! directly (`credentials`).

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::settings::Settings;

/// `monopco check-id`: needs no configuration, no store and no server.
pub fn check_id(
    file: &std::path::Path,
    name: Option<&str>,
    valid_until: Option<chrono::NaiveDate>,
    json: bool,
) -> ExitCode {
    const UNUSABLE: u8 = 3;
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("monopco: cannot read {}: {e}", file.display());
            return ExitCode::from(UNUSABLE);
        }
    };
    let request = ocr::CheckRequest {
        expected_name: name.map(ocr::ExpectedName::from_full_name),
        valid_until,
        today: crate::handlers::identity::today(),
    };
    match ocr::check_document(&bytes, &request) {
        Ok(verdict) => {
            if json {
                match serde_json::to_string_pretty(&verdict) {
                    Ok(text) => print_out(&text),
                    Err(e) => eprintln!("monopco: {e}"),
                }
            } else {
                print_out(&verdict.human_summary());
            }
            ExitCode::from(u8::try_from(verdict.exit_code()).unwrap_or(UNUSABLE))
        }
        Err(e) => {
            if json {
                print_out(
                    &serde_json::json!({ "error": { "code": e.code(), "message": e.message_fr() } })
                        .to_string(),
                );
            } else {
                eprintln!("{}", e.message_fr());
            }
            ExitCode::from(UNUSABLE)
        }
    }
}

/// Prints a line on standard output; a reader that went away (`… | head`) is not an error.
fn print_out(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{text}").and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("monopco: cannot write the result: {e}");
    }
}

/// `monopco render`: one document, or the pack, from an action file.
pub async fn render(
    settings: &Settings,
    what: &str,
    input: &Path,
    out: &Path,
    fixed_date: Option<chrono::NaiveDate>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(input)
        .with_context(|| format!("cannot read {}", input.display()))?;
    let action: documents::Action = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an action (JSON)", input.display()))?;
    let valid = action.validate().map_err(|fields| {
        let list: Vec<String> = fields
            .iter()
            .map(|f| format!("  - {} : {}", f.field, f.message))
            .collect();
        anyhow::anyhow!(
            "the action is invalid, nothing was rendered:\n{}",
            list.join("\n")
        )
    })?;
    let renderer = crate::handlers::renderer(settings)?;
    let browser = browser::Browser::launch(crate::handlers::browser_config(settings))
        .await
        .context("cannot start Chromium")?;
    let result = async {
        let bytes = if what == "pack" {
            renderer.render_pack(&browser, &valid, fixed_date).await?.zip
        } else {
            let kind = documents::DocumentKind::ALL.into_iter().find(|k| k.slug() == what).ok_or_else(|| {
                anyhow::anyhow!("unknown document `{what}`: use devis, programme, convention, certificat or pack")
            })?;
            renderer.render(&browser, kind, &valid, fixed_date).await?
        };
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
        println!("{} written ({} bytes)", out.display(), bytes.len());
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = browser.close().await {
        tracing::warn!(%error, "Chromium did not close cleanly");
    }
    result
}

/// `monopco hash-password`: one line of standard input → its argon2 hash on standard output.
pub fn hash_password() -> ExitCode {
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        eprintln!("monopco: cannot read the password on standard input");
        return ExitCode::from(64);
    }
    let password = line.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 12 {
        eprintln!("monopco: the password is shorter than 12 characters; choose a longer one");
        return ExitCode::from(64);
    }
    match crate::review::hash_password(password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("monopco: cannot hash the password: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn open_vault(settings: &Settings) -> anyhow::Result<crate::vault::Vault> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let store = crate::app::connect_store(&settings.store_url(), Vec::new())
        .await
        .with_context(|| {
            format!(
                "cannot open the store at {}",
                crate::settings::redact_url(&settings.store_url())
            )
        })?;
    let keys = crate::vault::KeyRing::from_settings(settings)?;
    Ok(crate::vault::Vault::new(&store, keys))
}

/// `monopco credentials rotate`: every login moves to the current master key.
pub async fn credentials_rotate(settings: &Settings) -> anyhow::Result<()> {
    let vault = open_vault(settings).await?;
    let moved = vault.rotate().await?;
    let total = vault.list().await?.len();
    println!(
        "{moved} re-encrypted under key {}; all {total} logins are under it now: the previous keys can be removed",
        vault.current_key_id()
    );
    Ok(())
}

/// `monopco credentials set`: registers a login, the password read from standard input.
pub async fn credentials_set(
    settings: &Settings,
    opco: &str,
    account: &str,
    username: &str,
) -> anyhow::Result<()> {
    use std::io::{BufRead, IsTerminal};
    let opco = domain::OpcoId::from_slug(opco).map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        portals::script(opco).is_some(),
        "the {} portal is not automated yet (automated: {})",
        opco.name(),
        portals::SUPPORTED
            .iter()
            .map(|p| p.slug())
            .collect::<Vec<_>>()
            .join(", ")
    );
    anyhow::ensure!(
        !account.is_empty() && account.trim() == account,
        "the account id must be non-empty, without spaces around it"
    );
    if std::io::stdin().is_terminal() {
        eprintln!("Password for {username} on {} (one line):", opco.name());
    }
    let mut line = secrecy::zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(
        !password.is_empty(),
        "no password on standard input: pipe it in, e.g. printf '%s' \"$PASSWORD\" | monopco credentials set …"
    );
    let vault = open_vault(settings).await?;
    vault
        .put(
            opco,
            account,
            username,
            &secrecy::SecretString::from(password.to_owned()),
        )
        .await?;
    println!(
        "login of {}/{account} stored under key {}",
        opco.slug(),
        vault.current_key_id()
    );
    Ok(())
}

/// `monopco resolve-company`: the company of a SIRET and its OPCO, through the same cache and
/// shared pace as the fleet. Exit code: 0 one OPCO, 1 no OPCO or closed, 2 a person must choose,
/// 3 bad input or the API unusable after its retries.
pub async fn resolve_company(settings: &Settings, siret: &str, json: bool) -> ExitCode {
    const UNUSABLE: u8 = 3;
    let report = |code: &str, message: &str| {
        if json {
            println!(
                "{}",
                serde_json::json!({ "error": { "code": code, "message": message } })
            );
        } else {
            eprintln!("{message}");
        }
        ExitCode::from(UNUSABLE)
    };
    // A bad SIRET needs no store and no call.
    if let Err(e) = domain::Siret::parse(siret) {
        return report(
            "invalid_siret",
            &format!("SIRET invalide « {siret} » : {e}"),
        );
    }
    let lookup = async {
        std::fs::create_dir_all(&settings.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                settings.data_dir.display()
            )
        })?;
        let store = crate::app::connect_store(&settings.store_url(), Vec::new())
            .await
            .with_context(|| {
                format!(
                    "cannot open the store at {}",
                    crate::settings::redact_url(&settings.store_url())
                )
            })?;
        crate::handlers::company::company_lookup(settings, &store)
    }
    .await;
    let lookup = match lookup {
        Ok(l) => l,
        Err(e) => return report("store_unavailable", &format!("monopco: {e:#}")),
    };
    match lookup.resolve_str(siret).await {
        Ok(company) => {
            if json {
                match serde_json::to_string_pretty(&company) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("monopco: {e}"),
                }
            } else {
                println!("{}", company.human_summary());
            }
            ExitCode::from(company.exit_code())
        }
        Err(e) => report(e.code(), &e.message_fr()),
    }
}
