//! Black-box test of the `prefill_filing` job against a local sandbox of the Atlas portal: the
//! fleet logs in, prefills the request with its attachments, saves the draft, stops before the
//! final submit and waits for a person, with the screenshots of every page recorded. The client's
//! login is registered through the write-only API into the encrypted vault; its password reaches no
//! log line, no database row and no recording.

mod support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Row};
use support::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn filing(dir: &std::path::Path) -> Value {
    let mut paths = Vec::new();
    for name in [
        "devis-signe.pdf",
        "programme-bilan.pdf",
        "convention-tripartite.pdf",
    ] {
        // Uploaded with the job: the API takes no path on its own disk.
        let _ = dir;
        paths.push(json!({ "name": name, "content_base64": BASE64.encode(PDF) }));
    }
    json!({
        "company": { "siret": "73282932000074", "opco_account": "ADH-448812" },
        "trainee": {
            "last_name": "Martin", "first_names": "Marie Claire", "birth_date": "1985-04-12",
            "job_title": "Assistante de direction", "contract": "cdi"
        },
        "action": {
            "title": "Bilan de compétences", "start": "2027-03-02", "end": "2027-04-20",
            "hours": 24, "modality": "mixte", "cost_ht": 180000
        },
        "subrogation": true,
        "provider": { "name": "Haguenau Formation", "siret": "55208131766522", "nda": "42670000000", "qualiopi": true },
        "attachments": { "quote": paths[0], "programme": paths[1], "agreement": paths[2] }
    })
}

/// Every file below `dir` that contains `needle`.
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle)
            {
                found.push(path);
            }
        }
    }
    found
}

/// The tables (and columns) of a SQLite file whose value contains `needle`, every row read.
async fn sqlite_rows_containing(db: &std::path::Path, needle: &str) -> Vec<String> {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let mut conn = sqlx::sqlite::SqliteConnection::connect(&url).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut conn)
            .await
            .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT * FROM \"{table}\"")))
            .fetch_all(&mut conn)
            .await
            .unwrap();
        for row in &rows {
            for (i, column) in sqlx::Row::columns(row).iter().enumerate() {
                // Any SQLite value reads as bytes: text, blobs, numbers.
                let value: Option<Vec<u8>> = row.try_get_unchecked(i).unwrap_or_default();
                if value.is_some_and(|v| String::from_utf8_lossy(&v).contains(needle)) {
                    found.push(format!("{table}.{}", sqlx::Column::name(column)));
                }
            }
        }
    }
    found
}

/// The tables of a PostgreSQL database with a row whose text contains `needle`.
async fn postgres_rows_containing(url: &str, needle: &str) -> Vec<String> {
    let mut conn = sqlx::postgres::PgConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut found = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT t::text FROM \"{table}\" t")))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        if rows.iter().any(|r| r.contains(needle)) {
            found.push(table);
        }
    }
    found
}

/// The Redis keys whose dumped value contains `needle`.
async fn redis_keys_containing(url: &str, needle: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut found = Vec::new();
    for key in keys {
        let dump: Option<Vec<u8>> = redis::cmd("DUMP")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        if dump.is_some_and(|d| d.windows(needle.len()).any(|w| w == needle.as_bytes())) {
            found.push(key);
        }
    }
    found
}

/// Where the durable state of a test lives, to search every row of it.
enum Rows<'a> {
    Sqlite(&'a std::path::Path),
    Fleet { postgres: &'a str, redis: &'a str },
}

impl Rows<'_> {
    async fn containing(&self, needle: &str) -> Vec<String> {
        match self {
            Rows::Sqlite(data) => {
                let mut found = sqlite_rows_containing(&data.join("state.db"), needle).await;
                found.extend(sqlite_rows_containing(&data.join("queue.db"), needle).await);
                found
            }
            Rows::Fleet { postgres, redis } => {
                let mut found = postgres_rows_containing(postgres, needle).await;
                found.extend(redis_keys_containing(redis, needle).await);
                found
            }
        }
    }
}

const ACCOUNT: &str = "ADH-448812";

async fn a_prefill_job_logs_in_with_registered_credentials_and_the_password_leaks_nowhere(
    backend: Backend,
) {
    let sandbox = sandboxes::spawn(sandboxes::SandboxConfig::new(domain::OpcoId::Atlas))
        .await
        .unwrap();
    let demo = sandboxes::Account::demo();
    let dir = tempfile::tempdir().unwrap();
    let attachments = dir.path().join("attachments");
    std::fs::create_dir_all(&attachments).unwrap();
    let extra = format!("\n[portals.atlas]\nbase_url = \"{}\"\n", sandbox.url());
    let config = write_config(dir.path(), &backend, None, "");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + &extra).unwrap();
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());

    an_unknown_portal_is_refused_and_an_account_without_a_login_waits_for_staff(&api, &attachments)
        .await;
    the_login_goes_through_the_write_only_api_into_the_vault(&api, &demo).await;
    the_prefill_stops_ready_for_review_with_warnings_one_draft_and_screenshots(
        &api,
        &sandbox,
        &attachments,
    )
    .await;
    let data = dir.path().join("data");
    let rows = match &backend {
        Backend::Embedded => Rows::Sqlite(&data),
        Backend::Fleet {
            postgres_url,
            redis_url,
            ..
        } => Rows::Fleet {
            postgres: postgres_url,
            redis: redis_url,
        },
    };
    the_password_reaches_no_log_line_file_row_nor_recording(
        &api, &app, &backend, &rows, &data, &demo,
    )
    .await;
    a_graceful_stop_closes_chromium_and_leaves_no_password_in_the_files(app, &data, &demo);
}

/// A portal without an address is refused at once; an account with no login registered is
/// accepted and waits for staff, told what to do.
async fn an_unknown_portal_is_refused_and_an_account_without_a_login_waits_for_staff(
    api: &Api,
    attachments: &std::path::Path,
) {
    let (s, _) = api.create(Some(WRITE_TOKEN), None, &json!({ "kind": "prefill_filing", "input": { "opco": "akto", "filing": filing(attachments) } })).await;
    assert_eq!(s, 400);

    // An account with no login registered is accepted, and waits for staff with what to do.
    let mut unknown = filing(attachments);
    unknown["company"]["opco_account"] = json!("ADH-000000");
    let (s, created) = api
        .create(
            Some(WRITE_TOKEN),
            None,
            &json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": unknown } }),
        )
        .await;
    assert_eq!(s, 201, "{created}");
    let job = api
        .wait_state(
            created["id"].as_str().unwrap(),
            "needs_human",
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(job["error"]["code"], "credentials_missing", "{job:#}");
    let message = job["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("PUT /v1/portal-accounts/atlas/ADH-000000"),
        "{message}"
    );
}

/// The client's login goes through the write-only API into the vault.
async fn the_login_goes_through_the_write_only_api_into_the_vault(
    api: &Api,
    demo: &sandboxes::Account,
) {
    let (s, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            "atlas",
            ACCOUNT,
            &json!({ "username": demo.email, "password": demo.password }),
        )
        .await;
    assert_eq!(s, 204, "{body}");
}

/// The prefill logs in with the registered login, fills the form, stops before the submit and
/// waits for review with its warnings and the screenshots of every page.
async fn the_prefill_stops_ready_for_review_with_warnings_one_draft_and_screenshots(
    api: &Api,
    sandbox: &sandboxes::RunningSandbox,
    attachments: &std::path::Path,
) {
    let (s, created) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": filing(attachments) } }))
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let job = api
        .wait_for(&id, Duration::from_secs(120), |j| {
            j["state"] != "queued" && j["state"] != "running"
        })
        .await;
    assert_eq!(job["state"], "needs_human", "{job:#}");
    assert_eq!(job["error"]["code"], "ready_for_review", "{job:#}");

    // 1 800 € for 24 h is 75 € an hour, above Atlas' 55 € cap: staff are warned, in French.
    let warnings = job["result"]["warnings"].as_array().unwrap();
    let cap = warnings
        .iter()
        .find(|w| w["code"] == "hourly_cap_exceeded")
        .expect("hourly cap warning");
    assert!(
        cap["message"].as_str().unwrap().contains("plafond"),
        "{cap}"
    );

    // Nothing filed: one draft with its three attachments, no dossier.
    assert!(sandbox.dossiers().is_empty(), "a prefill must never submit");
    let drafts = sandbox.requests();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].files.len(), 3);

    // The pages staff review were recorded.
    let shots = job["result"]["final_screenshots"].as_array().unwrap();
    assert!(!shots.is_empty());
    for shot in shots {
        let path = std::path::Path::new(shot.as_str().unwrap());
        assert!(
            std::fs::read(path).unwrap().starts_with(b"\x89PNG"),
            "{path:?}"
        );
    }
}

/// The vault row exists, and the searches do see what is stored (the account id is found in the
/// vault's row and in the data files, so a password stored the same way would be too); the
/// password is in no log line, no file, no row and no recording.
async fn the_password_reaches_no_log_line_file_row_nor_recording(
    api: &Api,
    app: &Process,
    backend: &Backend,
    rows: &Rows<'_>,
    data: &std::path::Path,
    demo: &sandboxes::Account,
) {
    let (s, list) = api.get(ACCOUNTS_TOKEN, "/v1/portal-accounts").await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["accounts"][0]["account"], ACCOUNT, "{list}");
    let with_account = rows.containing(ACCOUNT).await;
    assert!(
        with_account
            .iter()
            .any(|t| t.starts_with("portal_credentials")),
        "the vault row was not found: {with_account:?}"
    );
    if let Backend::Embedded = backend {
        assert!(
            files_containing(data, ACCOUNT.as_bytes())
                .iter()
                .any(|p| p.to_string_lossy().contains("state.db")),
            "the account id is in no database file"
        );
    }
    let log = app.log_text();
    assert!(
        log.lines()
            .any(|l| l.contains("Portal credentials registered") && l.contains(ACCOUNT)),
        "the registration was not logged:\n{log}"
    );
    // The password is nowhere: no log line, no file under the data directory (recordings,
    // state.db, queue.db and their -wal and -shm files, byte for byte), no row of any table.
    for line in log.lines() {
        assert!(
            !line.contains(&demo.password),
            "password in the log: {line}"
        );
    }
    let files = files_containing(data, demo.password.as_bytes());
    assert!(files.is_empty(), "password found in {files:?}");
    // The login is masked in recordings like the password.
    let files = files_containing(&data.join("recordings"), demo.email.as_bytes());
    assert!(
        files.is_empty(),
        "portal login found in the recordings {files:?}"
    );
    let tables = rows.containing(&demo.password).await;
    assert!(tables.is_empty(), "password found in rows of {tables:?}");
}

/// A graceful stop closes Chromium with the process; stopped, the files hold no password.
fn a_graceful_stop_closes_chromium_and_leaves_no_password_in_the_files(
    app: Process,
    data: &std::path::Path,
    demo: &sandboxes::Account,
) {
    let mut app = app;
    let browsers = chromiums_of(app.pid());
    assert!(
        !browsers.is_empty(),
        "the prefill ran in this process's Chromium"
    );
    assert!(app.terminate().success());
    assert!(
        browsers.iter().all(|p| !alive(*p)),
        "Chromium {browsers:?} outlived its worker"
    );
    // Stopped, SQLite has checkpointed its WAL: the files are searched once more.
    let files = files_containing(data, demo.password.as_bytes());
    assert!(
        files.is_empty(),
        "password found in {files:?} after the stop"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefill_job_stops_before_submitting_and_waits_for_review_without_leaking_the_password() {
    a_prefill_job_logs_in_with_registered_credentials_and_the_password_leaks_nowhere(
        Backend::Embedded,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefill_job_on_postgres_and_redis_leaks_the_password_into_no_row_nor_key() {
    let redis = TestRedis::start();
    let db = TestDatabase::create().await;
    let backend = Backend::Fleet {
        postgres_url: db.url.clone(),
        redis_url: redis.url.clone(),
        namespace: format!("monopco-test-{}", uuid::Uuid::new_v4().simple()),
    };
    a_prefill_job_logs_in_with_registered_credentials_and_the_password_leaks_nowhere(backend).await;
}

/// A prefill cancelled while its session fills the form stops before its next step: the job
/// ends `cancelled`, the portal holds a half-filled draft and no dossier.
#[tokio::test(flavor = "multi_thread")]
async fn a_prefill_cancelled_through_the_api_stops_its_portal_session_mid_form_and_files_nothing() {
    let mut sandbox_config = sandboxes::SandboxConfig::new(domain::OpcoId::Atlas);
    // Slow answers: the form takes long enough to be cancelled in its middle.
    sandbox_config.faults.slow_ms = 300;
    let sandbox = sandboxes::spawn(sandbox_config).await.unwrap();
    let demo = sandboxes::Account::demo();
    let dir = tempfile::tempdir().unwrap();
    let extra = format!("\n[portals.atlas]\nbase_url = \"{}\"\n", sandbox.url());
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + &extra).unwrap();
    let app = Process::start(&config, &["serve", "--addr", "127.0.0.1:0"]);
    let api = Api::new(app.addr.as_deref().unwrap());
    let (s, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            "atlas",
            ACCOUNT,
            &json!({ "username": demo.email, "password": demo.password }),
        )
        .await;
    assert_eq!(s, 204, "{body}");
    let (s, created) = api
        .create(Some(WRITE_TOKEN), None, &json!({ "kind": "prefill_filing", "input": { "opco": "atlas", "filing": filing(dir.path()) } }))
        .await;
    assert_eq!(s, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    // Cancelled once the portal has saved the form's first page.
    let first_page_field = sandbox.spec().steps[0].fields[0].key;
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while !sandbox
        .requests()
        .iter()
        .any(|r| r.values.contains_key(first_page_field))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the first page was never saved: {:#}",
            api.job(&id).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (s, body) = api
        .post(WRITE_TOKEN, &format!("/v1/jobs/{id}/cancel"))
        .await;
    assert_eq!(s, 202, "{body}");
    let job = api
        .wait_for(&id, Duration::from_secs(60), |j| {
            j["state"] != "queued" && j["state"] != "running"
        })
        .await;
    assert_eq!(job["state"], "cancelled", "{job:#}");
    assert!(sandbox.dossiers().is_empty(), "nothing is filed");
    let requests = sandbox.requests();
    assert_eq!(requests.len(), 1, "one draft");
    assert!(
        requests[0].files.is_empty(),
        "the session stopped before the attachments page"
    );
    let stopped = files_containing(&dir.path().join("data/recordings"), b"stopped on request");
    assert!(
        !stopped.is_empty(),
        "the recording says where the session stopped"
    );
    drop(app);
}

#[tokio::test(flavor = "multi_thread")]
async fn portal_logins_are_write_only_and_need_the_accounts_scope() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let app = Process::start(
        &config,
        &["serve", "--addr", "127.0.0.1:0", "--workers", "0"],
    );
    let api = Api::new(app.addr.as_deref().unwrap());
    let login = json!({ "username": "rh@client.fr", "password": "Tr0ub4dor&3-secret" });

    let (s, body) = api.put_account(WRITE_TOKEN, "atlas", ACCOUNT, &login).await;
    assert_eq!(s, 403, "a jobs token cannot register logins: {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("accounts:write")
    );

    let (s, body) = api
        .put_account(ACCOUNTS_TOKEN, "nowhere", ACCOUNT, &login)
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "opco", "{body}");
    // Every one of the 11 OPCOs has a portal script: a login is registered for each (an OPCO
    // without one would be refused as « pas encore automatisé »), then removed.
    assert_eq!(portals::SUPPORTED.len(), domain::OpcoId::ALL.len());
    for opco in domain::OpcoId::ALL {
        let (s, body) = api
            .put_account(ACCOUNTS_TOKEN, opco.slug(), "ESSAI-1", &login)
            .await;
        assert_eq!(s, 204, "{opco}: {body}");
        let (s, body) = api
            .delete_account(ACCOUNTS_TOKEN, opco.slug(), "ESSAI-1")
            .await;
        assert_eq!(s, 204, "{opco}: {body}");
    }

    // A bad body gets a reason per field, and what was sent is never echoed.
    let (s, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            "atlas",
            ACCOUNT,
            &json!({ "username": "rh@client.fr", "password": 987654321, "extra": true }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    let fields: Vec<&str> = body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["password", "extra"], "{body}");
    assert!(!body.to_string().contains("987654321"), "{body}");
    let (s, body) = api
        .put_account(
            ACCOUNTS_TOKEN,
            "atlas",
            ACCOUNT,
            &json!({ "username": "rh@client.fr" }),
        )
        .await;
    assert_eq!(s, 400, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "password", "{body}");

    let (s, body) = api
        .put_account(ACCOUNTS_TOKEN, "atlas", ACCOUNT, &login)
        .await;
    assert_eq!(s, 204, "{body}");
    let (s, body) = api
        .put_account(ACCOUNTS_TOKEN, "akto", "AK-1", &login)
        .await;
    assert_eq!(s, 204, "{body}");

    // The list says which accounts exist and under which key, never their logins.
    for token in [ACCOUNTS_TOKEN, OPS_TOKEN] {
        let (s, list) = api.get(token, "/v1/portal-accounts").await;
        assert_eq!(s, 200, "{list}");
        let text = list.to_string();
        assert!(!text.contains("password"), "{text}");
        assert!(
            !text.contains("Tr0ub4dor") && !text.contains("rh@client.fr"),
            "{text}"
        );
        let accounts = list["accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 2, "{list}");
        assert_eq!(accounts[0]["opco"], "akto");
        assert_eq!(accounts[1]["account"], ACCOUNT);
        let key_id = accounts[1]["key_id"].as_str().unwrap();
        assert!(key_id.len() == 16 && key_id.chars().all(|c| c.is_ascii_hexdigit()));
    }
    let (s, _) = api.get(READ_TOKEN, "/v1/portal-accounts").await;
    assert_eq!(s, 403, "a jobs:read token cannot list accounts");

    let (s, _) = api.delete_account(WRITE_TOKEN, "atlas", ACCOUNT).await;
    assert_eq!(s, 403);
    let (s, _) = api.delete_account(ACCOUNTS_TOKEN, "atlas", ACCOUNT).await;
    assert_eq!(s, 204);
    let (s, body) = api.delete_account(ACCOUNTS_TOKEN, "atlas", ACCOUNT).await;
    assert_eq!(s, 404, "{body}");
    assert_eq!(body["error"]["code"], "account_not_found");

    // The embedded default generated its key file, private to the service's user.
    use std::os::unix::fs::PermissionsExt;
    let key = dir.path().join("data").join("master.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(app.log_text().contains("Generated the master key"));
    assert!(!app.log_text().contains("Tr0ub4dor"));
}

/// Runs `monopco <args…> --config <config>` to its end, with `stdin` as its input.
fn monopco(
    config: &std::path::Path,
    args: &[&str],
    stdin: &str,
    env: &[(&str, &str)],
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_monopco"))
        .args(args)
        .arg("--config")
        .arg(config)
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_credentials_commands_register_a_login_then_rotate_it_onto_a_new_key() {
    use base64::Engine;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Backend::Embedded, None, "");
    let out = monopco(
        &config,
        &["credentials", "set", "atlas", ACCOUNT, "rh@client.fr"],
        "pw-from-stdin\n",
        &[],
    );
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("atlas/ADH-448812 stored under key"),
        "{stdout}"
    );

    // A new current key, the generated one kept as previous: rotation moves the row, once.
    let new_key = dir.path().join("new.key");
    std::fs::write(&new_key, b64(&[42u8; 32])).unwrap();
    let old_key = dir.path().join("data").join("master.key");
    let rotating = write_config(
        dir.path(),
        &Backend::Embedded,
        None,
        &format!(
            "[credentials]\nkey_file = \"{}\"\nprevious_key_files = [\"{}\"]\n",
            new_key.display(),
            old_key.display()
        ),
    );
    let out = monopco(&rotating, &["credentials", "rotate"], "", &[]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("1 re-encrypted"), "{stdout}");
    let out = monopco(&rotating, &["credentials", "rotate"], "", &[]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 re-encrypted"));

    // The old key alone can no longer read it, and says which key and setting are missing.
    let old = std::fs::read_to_string(&old_key).unwrap();
    let out = monopco(
        &config,
        &["credentials", "rotate"],
        "",
        &[("MONOPCO_MASTER_KEY", old.trim())],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is not configured") && stderr.contains("credentials.previous_key_files"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-from-stdin"));

    // A key that is not 32 bytes stops the process at once, saying so.
    let out = monopco(
        &config,
        &["credentials", "rotate"],
        "",
        &[("MONOPCO_MASTER_KEY", &b64(&[1u8; 16]))],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("it must be 32"), "{stderr}");
}
